// Counters of what the stand-in saw: per endpoint requests, acceptances, rejections by reason, faults; never a secret.
import { ENDPOINTS, type Endpoint, type Fault } from "./faults.ts";
import type { AccessLevel } from "./twitter.ts";

export interface EndpointStats {
  /** Every request that reached the endpoint, faulted or not. */
  requests: number;
  /** Answered normally with success (2xx, or the consent form's redirect). */
  accepted: number;
  /** Refused by normal processing, counted by reason (e.g. "bad signature", "nonce reused"). */
  rejected: Record<string, number>;
  /** Requests that an injected fault applied to. */
  faulted: number;
}

export interface Rejection {
  /** ISO time. */
  at: string;
  endpoint: Endpoint;
  status: number;
  reason: string;
  /** For signature failures: the base string the stand-in signed (it holds no secret). */
  baseString?: string;
}

export interface Stats {
  /** The app's access level now (legacy or free). */
  accessLevel: AccessLevel;
  endpoints: Record<Endpoint, EndpointStats>;
  /** Request tokens issued and neither used, denied nor expired. */
  liveRequestTokens: number;
  liveAccessTokens: number;
  /** Requests refused because the signature did not match (all endpoints). */
  signatureFailures: number;
  /** The last few rejections, oldest first. */
  recentRejections: Rejection[];
  /** Faults armed now. */
  faults: Partial<Record<Endpoint, Fault & { remaining?: number }>>;
}

const RECENT_REJECTIONS = 20;

/** Reason text used for signature mismatches (counted in signatureFailures too). */
export const BAD_SIGNATURE = "bad signature";

/** The mutable counters behind Stats. */
export class Counters {
  endpoints = emptyEndpoints();
  signatureFailures = 0;
  recentRejections: Rejection[] = [];

  request(endpoint: Endpoint): void {
    this.endpoints[endpoint].requests += 1;
  }

  accepted(endpoint: Endpoint): void {
    this.endpoints[endpoint].accepted += 1;
  }

  faulted(endpoint: Endpoint): void {
    this.endpoints[endpoint].faulted += 1;
  }

  rejected(endpoint: Endpoint, status: number, reason: string, baseString?: string): void {
    const rejected = this.endpoints[endpoint].rejected;
    rejected[reason] = (rejected[reason] ?? 0) + 1;
    if (reason === BAD_SIGNATURE) this.signatureFailures += 1;
    const rejection: Rejection = { at: new Date().toISOString(), endpoint, status, reason };
    if (baseString !== undefined) rejection.baseString = baseString;
    this.recentRejections.push(rejection);
    if (this.recentRejections.length > RECENT_REJECTIONS) this.recentRejections.shift();
  }

  reset(): void {
    this.endpoints = emptyEndpoints();
    this.signatureFailures = 0;
    this.recentRejections = [];
  }
}

function emptyEndpoints(): Record<Endpoint, EndpointStats> {
  return Object.fromEntries(ENDPOINTS.map((e) => [e, { requests: 0, accepted: 0, rejected: {}, faulted: 0 }])) as Record<Endpoint, EndpointStats>;
}
