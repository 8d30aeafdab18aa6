// REST routes for playback, added to the gateway by services/api.service.ts:
//   GET|HEAD /api/songs/:id/stream    ?format=raw|opus|mp3|aac&maxBitRate=<kbps>
//   GET|HEAD /api/songs/:id/artwork   ?size=<px>&format=jpeg|webp
//   POST     /api/songs/:id/stream-url {format?, maxBitRate?} → a signed URL for <audio src>
// plus the credentials Subsonic apps sign in with (the Subsonic password, API keys).
// The two byte routes authenticate themselves: a Bearer token, or a signed URL (`exp` and `sig`
// in the query) checked by the stream service — <audio>, <img> and casting devices send no
// headers. Everything else follows the gateway's usual rules.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Service } from "moleculer";
import type { AuthUser, Meta } from "../auth/access.js";
import { validationError, type FieldError } from "../errors.js";
import { deliver, STREAM_FORMATS, type StreamFormat, type StreamRequest } from "../stream/delivery.js";

type Req = IncomingMessage & { $ctx: Context<unknown, Meta>; $params: Record<string, unknown>; $route?: unknown; originalUrl?: string };
type Gateway = Service & { authenticate(ctx: Context<unknown, Meta>, route: unknown, req: Req): Promise<AuthUser | null> };
type Next = (err?: unknown) => void;

/** The query of a request as the signature checker wants it (repeated names as arrays). */
export function queryRecord(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of q) {
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return out;
}

function songId(raw: unknown, fields: FieldError[]): number {
  const s = String(raw ?? "");
  if (/^[1-9]\d{0,15}$/.test(s) && Number.isSafeInteger(Number(s))) return Number(s);
  fields.push({ field: "id", message: "must be a song id (a positive whole number)" });
  return 0;
}

function wholeNumber(q: URLSearchParams, name: string, fields: FieldError[], max: number): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) {
    fields.push({ field: name, message: `must be a whole number from 0 to ${max}` });
    return undefined;
  }
  return Number(raw);
}

/** Reads the request into a StreamRequest (422 naming each bad field) and authenticates it. */
async function prepare(gw: Gateway, req: Req, what: "stream" | "artwork"): Promise<StreamRequest> {
  const url = new URL(req.originalUrl ?? req.url ?? "/", "http://x");
  const q = url.searchParams;
  const fields: FieldError[] = [];
  const request: StreamRequest = { songId: songId(req.$params.id, fields) };
  if (what === "stream") {
    const format = q.get("format");
    if (format !== null && format !== "") {
      if ((STREAM_FORMATS as readonly string[]).includes(format)) request.format = format as StreamFormat;
      else fields.push({ field: "format", message: `must be one of ${STREAM_FORMATS.join(", ")}` });
    }
    const max = wholeNumber(q, "maxBitRate", fields, 10_000);
    if (max !== undefined) request.maxBitRate = max;
  } else {
    const format = q.get("format") || "jpeg";
    if (format !== "jpeg" && format !== "webp") fields.push({ field: "format", message: "must be jpeg or webp" });
    const size = wholeNumber(q, "size", fields, 4096);
    request.artwork = { format: format as "jpeg" | "webp", ...(size ? { size } : {}) };
  }
  if (fields.length) throw validationError(fields);
  if (q.has("sig") || q.has("exp")) {
    request.signature = { path: url.pathname, query: queryRecord(q) };
  } else {
    const user = await gw.authenticate(req.$ctx, req.$route, req);
    if (user) req.$ctx.meta.user = user;
  }
  return request;
}

function byteRoute(what: "stream" | "artwork") {
  return async function (this: Gateway, req: Req, res: ServerResponse, next: Next) {
    try {
      const request = await prepare(this, req, what);
      await deliver(this.broker, req.$ctx, req, res, request);
    } catch (err) {
      if (!res.headersSent) next(err);
      else res.destroy();
    }
  };
}

/**
 * Route objects for the gateway (`common` carries its shared route options). Named, because
 * moleculer-web replaces an earlier route of the same path unless both have different names.
 */
export function streamRoutes(common: Record<string, unknown>): object[] {
  return [
    {
      ...common,
      name: "playback",
      path: "/api/songs",
      authentication: false, // the byte routes check a token or a signature themselves
      bodyParsers: { json: false, urlencoded: false },
      callOptions: { timeout: 0 },
      aliases: {
        "GET :id/stream": byteRoute("stream"),
        "HEAD :id/stream": byteRoute("stream"),
        "GET :id/artwork": byteRoute("artwork"),
        "HEAD :id/artwork": byteRoute("artwork"),
      },
    },
    {
      ...common,
      name: "playback-urls",
      path: "/api/songs",
      aliases: { "POST :id/stream-url": "stream.streamUrl" },
    },
    {
      ...common,
      name: "subsonic-credentials",
      path: "/api/auth",
      aliases: {
        "PUT subsonic-password": "subsonic.setPassword",
        "DELETE subsonic-password": "subsonic.clearPassword",
        "GET api-keys": "subsonic.listApiKeys",
        "POST api-keys": "subsonic.createApiKey",
        "DELETE api-keys/:id": "subsonic.deleteApiKey",
      },
    },
  ];
}
