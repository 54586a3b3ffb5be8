// HTTP/1.1 as exact bytes on a socket, for the tests that must send what fetch() would refuse or normalise.
import { connect } from "node:net";

/** An answer read off the socket. */
export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * Sends these exact bytes (request line and header lines, `Connection: close` unless they hold a
 * Connection line, then the body) on a new connection to 127.0.0.1:port; the answer, de-chunked.
 */
export function raw(port: number, lines: string[], body = ""): Promise<RawResponse> {
  const head = lines.some((line) => /^connection:/i.test(line)) ? lines : [...lines, "Connection: close"];
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.end(`${head.join("\r\n")}\r\n\r\n${body}`));
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within 10 s to ${lines[0]}`)), 10_000);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => (clearTimeout(timer), reject(error)));
    socket.on("end", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...headerLines] = text.slice(0, split).split("\r\n");
      const headers = new Map(headerLines.map((line): [string, string] => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
      let rest = text.slice(split + 4);
      let content = rest;
      if (headers.get("transfer-encoding") === "chunked") {
        content = "";
        for (let size = parseInt(rest, 16); size > 0; size = parseInt(rest, 16)) {
          const start = rest.indexOf("\r\n") + 2;
          content += rest.slice(start, start + size);
          rest = rest.slice(start + size + 2);
        }
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: Buffer.from(content, "latin1").toString("utf8") });
    });
  });
}

