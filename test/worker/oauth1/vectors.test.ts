// Published vectors: RFC 5849 sections 1.2, 3.4.1 and 3.6, and X's "Creating a signature" example.
import { describe, expect, it } from "vitest";
import {
  OAuth1Client,
  collectParameters,
  constructBaseString,
  normalizeBaseStringUri,
  normalizeParameters,
  percentEncode,
  sign,
} from "../../../src/oauth1";

/** The base string and HMAC-SHA1 signature of a request as the RFC's own functions build them. */
async function signFromParts(
  method: string,
  url: string,
  form: [string, string][],
  protocol: [string, string][],
  consumerSecret: string,
  tokenSecret: string,
) {
  const baseString = constructBaseString(method, normalizeBaseStringUri(url), normalizeParameters(collectParameters(url, form, protocol)));
  return { baseString, signature: await sign("HMAC-SHA1", baseString, { consumerSecret, tokenSecret }) };
}

describe("RFC 5849 section 3.6: percent-encoding", () => {
  it("encodes everything outside the unreserved set, including !*'()", () => {
    expect(percentEncode("abcXYZ019-._~")).toBe("abcXYZ019-._~");
    expect(percentEncode("!*'()")).toBe("%21%2A%27%28%29");
    expect(percentEncode(" +&=/?#[]@$,;:%")).toBe("%20%2B%26%3D%2F%3F%23%5B%5D%40%24%2C%3B%3A%25");
  });
  it("encodes UTF-8 octets with uppercase hex", () => {
    expect(percentEncode("é")).toBe("%C3%A9");
    expect(percentEncode("☃")).toBe("%E2%98%83");
    expect(percentEncode("😀")).toBe("%F0%9F%98%80");
    expect(percentEncode("\u0000\u007f")).toBe("%00%7F");
  });
});

describe("RFC 5849 section 3.4.1.2: base string URI", () => {
  it("lowercases scheme and host, drops the default port and the query", () => {
    expect(normalizeBaseStringUri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123")).toBe("http://example.com/r%20v/X");
  });
  it("keeps a port that is not the scheme's default", () => {
    expect(normalizeBaseStringUri("https://www.example.net:8080/?q=1")).toBe("https://www.example.net:8080/");
    expect(normalizeBaseStringUri("http://example.com:443/a")).toBe("http://example.com:443/a");
    expect(normalizeBaseStringUri("https://example.com:443/a#frag")).toBe("https://example.com/a");
  });
});

describe("RFC 5849 section 3.4.1: the example request", () => {
  // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b with body c2&a3=2+q.
  const url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b";
  const form: [string, string][] = [...new URLSearchParams("c2&a3=2+q")];
  const protocol: [string, string][] = [
    ["oauth_consumer_key", "9djdj82h48djs9d2"],
    ["oauth_token", "kkk9d7dh3k39sjv7"],
    ["oauth_signature_method", "HMAC-SHA1"],
    ["oauth_timestamp", "137131201"],
    ["oauth_nonce", "7d8f3e4a"],
    ["oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw="],
    ["realm", "Example"],
  ];

  it("normalizes the parameters as section 3.4.1.3.2 shows", () => {
    expect(normalizeParameters(collectParameters(url, form, protocol))).toBe(
      "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7",
    );
  });

  it("builds the base string of section 3.4.1.1", () => {
    const baseString = constructBaseString("post", normalizeBaseStringUri(url), normalizeParameters(collectParameters(url, form, protocol)));
    expect(baseString).toBe(
      "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
    );
    // The RFC prints oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw=" but gives neither secret for
    // this example, so only its base string can be checked.
  });
});

describe("RFC 5849 section 1.2: the photos.example.net walk-through", () => {
  it("signs the temporary credentials request: 74KNZJeDHnMBp0EMJ9ZHt/XKycU=", async () => {
    const { baseString, signature } = await signFromParts(
      "POST",
      "https://photos.example.net/initiate",
      [],
      [
        ["oauth_consumer_key", "dpf43f3p2l4k3l03"],
        ["oauth_signature_method", "HMAC-SHA1"],
        ["oauth_timestamp", "137131200"],
        ["oauth_nonce", "wIjqoS"],
        ["oauth_callback", "http://printer.example.com/ready"],
      ],
      "kd94hf93k423kf44",
      "",
    );
    expect(baseString).toBe(
      "POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200",
    );
    expect(signature).toBe("74KNZJeDHnMBp0EMJ9ZHt/XKycU=");
  });

  it("signs the token credentials request: gKgrFCywp7rO0OXSjdot/IHF7IU=", async () => {
    const { signature } = await signFromParts(
      "POST",
      "https://photos.example.net/token",
      [],
      [
        ["oauth_consumer_key", "dpf43f3p2l4k3l03"],
        ["oauth_token", "hh5s93j4hdidpola"],
        ["oauth_signature_method", "HMAC-SHA1"],
        ["oauth_timestamp", "137131201"],
        ["oauth_nonce", "walatlh"],
        ["oauth_verifier", "hfdp7dh39dks9884"],
      ],
      "kd94hf93k423kf44",
      "hdhd0244k9j7ao03",
    );
    expect(signature).toBe("gKgrFCywp7rO0OXSjdot/IHF7IU=");
  });

  it("signs the protected resource request: MdpQcU8iPSUjWoN/UDMsK2sui9I=", async () => {
    const { baseString, signature } = await signFromParts(
      "GET",
      "http://photos.example.net/photos?file=vacation.jpg&size=original",
      [],
      [
        ["oauth_consumer_key", "dpf43f3p2l4k3l03"],
        ["oauth_token", "nnch734d00sl2jdk"],
        ["oauth_signature_method", "HMAC-SHA1"],
        ["oauth_timestamp", "137131202"],
        ["oauth_nonce", "chapoH"],
      ],
      "kd94hf93k423kf44",
      "pfkkdhi9sl3r4s00",
    );
    expect(baseString).toBe(
      "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal",
    );
    expect(signature).toBe("MdpQcU8iPSUjWoN/UDMsK2sui9I=");
  });
});

describe('X\'s documented example ("Creating a signature")', () => {
  const consumerSecret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
  const tokenSecret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
  const url = "https://api.twitter.com/1.1/statuses/update.json?include_entities=true";
  const status = "Hello Ladies + Gentlemen, a signed OAuth request!";
  const protocol: [string, string][] = [
    ["oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"],
    ["oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"],
    ["oauth_signature_method", "HMAC-SHA1"],
    ["oauth_timestamp", "1318622958"],
    ["oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"],
    ["oauth_version", "1.0"],
  ];

  it("builds the documented parameter string, base string and signature", async () => {
    const parameters = collectParameters(url, [["status", status]], protocol);
    expect(normalizeParameters(parameters)).toBe(
      "include_entities=true&oauth_consumer_key=xvz1evFS4wEEPTGEFPHBog&oauth_nonce=kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1318622958&oauth_token=370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb&oauth_version=1.0&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21",
    );
    const { baseString, signature } = await signFromParts("POST", url, [["status", status]], protocol, consumerSecret, tokenSecret);
    expect(baseString).toBe(
      "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521",
    );
    expect(signature).toBe("hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
  });

  it("produces the same signature through the client, with nonce and clock pinned", async () => {
    const client = new OAuth1Client({
      consumerKey: "xvz1evFS4wEEPTGEFPHBog",
      consumerSecret,
      nonce: () => "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
      now: () => 1318622958_000,
    });
    const signed = await client.signRequest({
      method: "post",
      url,
      form: { status },
      token: { token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", tokenSecret },
    });
    const header = signed.headers.get("Authorization")!;
    expect(header).toMatch(/^OAuth /);
    expect(header).toContain('oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"');
    expect(header).toContain('oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"');
    expect(header).toContain('oauth_version="1.0"');
    expect(signed.method).toBe("POST");
    expect(signed.url).toBe(url);
    expect(signed.body).toBe("status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21");
    expect(signed.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
  });
});
