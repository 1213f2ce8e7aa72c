// TextEncoder / TextDecoder for the wasm-bindgen glue.
//
// scripts/build.mjs bundles the glue with esbuild and `inject`s this file, so every free
// `TextEncoder` / `TextDecoder` in the glue refers to the exports below. They are the real
// globals whenever those exist (browsers, Node, workers) and a small UTF-8 codec only where they
// are missing (jest's `jsdom` environment). No global is ever assigned.

const G = typeof globalThis !== "undefined" ? globalThis : typeof self !== "undefined" ? self : {};

class Utf8Encoder {
  get encoding() {
    return "utf-8";
  }

  encode(input = "") {
    const str = String(input);
    const out = new Uint8Array(str.length * 3);
    return out.slice(0, this.encodeInto(str, out).written);
  }

  // Writes only whole characters that fit, like the real encodeInto.
  encodeInto(input, dest) {
    const str = String(input);
    const cap = dest.length;
    let read = 0;
    let written = 0;
    while (read < str.length) {
      let cp = str.charCodeAt(read);
      let units = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && read + 1 < str.length) {
        const lo = str.charCodeAt(read + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          units = 2;
        }
      }
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate
      if (cp < 0x80) {
        if (written + 1 > cap) break;
        dest[written++] = cp;
      } else if (cp < 0x800) {
        if (written + 2 > cap) break;
        dest[written++] = 0xc0 | (cp >> 6);
        dest[written++] = 0x80 | (cp & 0x3f);
      } else if (cp < 0x10000) {
        if (written + 3 > cap) break;
        dest[written++] = 0xe0 | (cp >> 12);
        dest[written++] = 0x80 | ((cp >> 6) & 0x3f);
        dest[written++] = 0x80 | (cp & 0x3f);
      } else {
        if (written + 4 > cap) break;
        dest[written++] = 0xf0 | (cp >> 18);
        dest[written++] = 0x80 | ((cp >> 12) & 0x3f);
        dest[written++] = 0x80 | ((cp >> 6) & 0x3f);
        dest[written++] = 0x80 | (cp & 0x3f);
      }
      read += units;
    }
    return { read, written };
  }
}

class Utf8Decoder {
  constructor(label = "utf-8", options = {}) {
    const l = String(label).trim().toLowerCase();
    if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") {
      throw new RangeError(`TextDecoder fallback supports only utf-8, not "${label}"`);
    }
    this.fatal = !!(options && options.fatal);
    this.ignoreBOM = !!(options && options.ignoreBOM);
  }

  get encoding() {
    return "utf-8";
  }

  decode(input) {
    if (input === undefined || input === null) return "";
    let bytes;
    if (input instanceof Uint8Array) bytes = input;
    else if (ArrayBuffer.isView(input)) bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    else bytes = new Uint8Array(input);

    const n = bytes.length;
    let i = 0;
    if (!this.ignoreBOM && n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
    let out = "";
    let units = [];
    const bad = () => {
      if (this.fatal) throw new TypeError("The encoded data was not valid utf-8");
      units.push(0xfffd);
    };
    while (i < n) {
      const b = bytes[i];
      if (b < 0x80) {
        units.push(b);
        i += 1;
      } else {
        let need, cp, min;
        if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80; }
        else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800; }
        else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; min = 0x10000; }
        else { bad(); i += 1; continue; }
        let j = 1;
        for (; j <= need; j++) {
          const c = i + j < n ? bytes[i + j] : -1;
          if ((c & 0xc0) !== 0x80 || c < 0) break;
          cp = (cp << 6) | (c & 0x3f);
        }
        if (j <= need) {
          bad(); // truncated sequence: one U+FFFD for the lead byte and its continuations
          i += j;
          continue;
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          bad(); // overlong, surrogate or out of range: the lead byte, then each continuation
          i += 1;
          continue;
        }
        i += need + 1;
        if (cp >= 0x10000) {
          cp -= 0x10000;
          units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
          units.push(cp);
        }
      }
      if (units.length >= 0x2000) {
        out += String.fromCharCode.apply(null, units);
        units = [];
      }
    }
    return out + String.fromCharCode.apply(null, units);
  }
}

const TextEncoderImpl = typeof G.TextEncoder === "function" ? G.TextEncoder : Utf8Encoder;
const TextDecoderImpl = typeof G.TextDecoder === "function" ? G.TextDecoder : Utf8Decoder;

export { TextEncoderImpl as TextEncoder, TextDecoderImpl as TextDecoder, Utf8Encoder, Utf8Decoder };
