// phoenix.js's `Ajax` helper for the LongPoll transport (not exported, as in phoenix.js):
// `XDomainRequest` (IE8/9), else `XMLHttpRequest`, else `fetch` with an `AbortController`.
// I/O only: the LongPoll decides what a response means (src/core/longpoll.rs).

// phoenix.js's `global`: `self` in pages and workers, else `window`, else `globalThis`.
const global =
  (typeof self !== "undefined" ? self : null) || (typeof window !== "undefined" ? window : null) || globalThis;

const XHR_COMPLETE = 4;

export default class Ajax {
  static request(method, endPoint, headers, body, timeout, ontimeout, callback) {
    if (global.XDomainRequest) {
      const req = new global.XDomainRequest(); // IE8, IE9
      return this.xdomainRequest(req, method, endPoint, body, timeout, ontimeout, callback);
    } else if (global.XMLHttpRequest) {
      const req = new global.XMLHttpRequest();
      return this.xhrRequest(req, method, endPoint, headers, body, timeout, ontimeout, callback);
    } else if (global.fetch && global.AbortController) {
      return this.fetchRequest(method, endPoint, headers, body, timeout, ontimeout, callback);
    } else {
      throw new Error("No suitable XMLHttpRequest implementation found");
    }
  }

  // Returns the AbortController that enforces the timeout (null without a timeout).
  static fetchRequest(method, endPoint, headers, body, timeout, ontimeout, callback) {
    const options = {method, headers, body};
    let controller = null;
    let timeoutId = null;
    if (timeout) {
      controller = new AbortController();
      timeoutId = setTimeout(() => controller.abort(), timeout);
      options.signal = controller.signal;
    }
    global
      .fetch(endPoint, options)
      .then((response) => response.text())
      .then((data) => this.parseJSON(data))
      .then((data) => {
        if (timeoutId) clearTimeout(timeoutId);
        callback && callback(data);
      })
      .catch((err) => {
        if (timeoutId) clearTimeout(timeoutId);
        if (err.name === "AbortError" && ontimeout) {
          ontimeout();
        } else {
          callback && callback(null);
        }
      });
    return controller;
  }

  static xdomainRequest(req, method, endPoint, body, timeout, ontimeout, callback) {
    req.timeout = timeout;
    req.open(method, endPoint);
    req.onload = () => {
      const response = this.parseJSON(req.responseText);
      callback && callback(response);
    };
    if (ontimeout) req.ontimeout = ontimeout;
    // IE9 needs an onprogress handler
    req.onprogress = () => {};
    req.send(body);
    return req;
  }

  static xhrRequest(req, method, endPoint, headers, body, timeout, ontimeout, callback) {
    req.open(method, endPoint, true);
    req.timeout = timeout;
    for (const [key, value] of Object.entries(headers)) req.setRequestHeader(key, value);
    req.onerror = () => callback && callback(null);
    req.onreadystatechange = () => {
      if (req.readyState === XHR_COMPLETE && callback) {
        const response = this.parseJSON(req.responseText);
        callback(response);
      }
    };
    if (ontimeout) req.ontimeout = ontimeout;
    req.send(body);
    return req;
  }

  /** The parsed body, or null when it is empty or not JSON (logged to the console). */
  static parseJSON(resp) {
    if (!resp || resp === "") return null;
    try {
      return JSON.parse(resp);
    } catch {
      console && console.log("failed to parse JSON response", resp);
      return null;
    }
  }

  /** `a=1&b[c]=2`: an object's own enumerable keys, nested objects in brackets. */
  static serialize(obj, parentKey) {
    const queryStr = [];
    for (const key in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
      const paramKey = parentKey ? `${parentKey}[${key}]` : key;
      const paramVal = obj[key];
      if (typeof paramVal === "object") {
        queryStr.push(this.serialize(paramVal, paramKey));
      } else {
        queryStr.push(encodeURIComponent(paramKey) + "=" + encodeURIComponent(paramVal));
      }
    }
    return queryStr.join("&");
  }

  static appendParams(url, params) {
    if (Object.keys(params).length === 0) return url;
    const prefix = url.match(/\?/) ? "&" : "?";
    return `${url}${prefix}${this.serialize(params)}`;
  }
}
