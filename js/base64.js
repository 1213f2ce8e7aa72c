// Standard base64 -> bytes, without atob or Buffer (works in browsers, Node, workers and vm
// contexts alike). Used once at load to turn the embedded wasm back into bytes.
export function decodeBase64(b64) {
  // Native where available (Chromium 140+, Firefox 133+, Safari 18.2+): ~10x faster.
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(b64);
  const table = new Uint8Array(128);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  let len = b64.length;
  while (len > 0 && b64.charCodeAt(len - 1) === 61 /* = */) len--;
  const out = new Uint8Array((len * 3) >> 2);
  let o = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const n =
      (table[b64.charCodeAt(i)] << 18) |
      (table[b64.charCodeAt(i + 1)] << 12) |
      (table[b64.charCodeAt(i + 2)] << 6) |
      table[b64.charCodeAt(i + 3)];
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  const rest = len - i;
  if (rest >= 2) {
    const n = (table[b64.charCodeAt(i)] << 18) | (table[b64.charCodeAt(i + 1)] << 12) |
      (rest === 3 ? table[b64.charCodeAt(i + 2)] << 6 : 0);
    out[o++] = n >> 16;
    if (rest === 3) out[o++] = (n >> 8) & 255;
  }
  return out;
}

// Hex (base16) -> bytes: the alternative embedding (`node scripts/build.mjs --embed=hex`), larger
// raw but ~20% smaller gzipped than base64 because gzip keeps matching byte-aligned repeats.
export function decodeHex(hex) {
  if (typeof Uint8Array.fromHex === "function") return Uint8Array.fromHex(hex);
  const out = new Uint8Array(hex.length >> 1);
  // "0".."9" -> 0..9, "a".."f" / "A".."F" -> 10..15
  const v = (c) => (c & 15) + (c >> 6) * 9;
  for (let i = 0, j = 0; i < out.length; i++, j += 2) out[i] = (v(hex.charCodeAt(j)) << 4) | v(hex.charCodeAt(j + 1));
  return out;
}
