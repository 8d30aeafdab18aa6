// Helpers for pipeline tests: waiting for a condition, cutting a file short, reading an SSE stream.
import fs from "node:fs";

export async function waitFor(check: () => Promise<unknown> | unknown, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Copies the first `keep` share of a file's bytes: a download cut off, a copy interrupted. */
export function truncate(from: string, to: string, keep: number): void {
  const bytes = fs.readFileSync(from);
  fs.writeFileSync(to, bytes.subarray(0, Math.floor(bytes.length * keep)));
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Opens a text/event-stream and collects its events. */
export function readSse(url: string) {
  const received: SseEvent[] = [];
  const waiters: Array<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }> = [];
  const abort = new AbortController();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  void (async () => {
    const res = await fetch(url, { signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`SSE ${url}: ${res.status}`);
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of frame.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (!data.length) continue;
          const e = { event, data: JSON.parse(data.join("\n")) };
          if (event === "hello") markReady();
          received.push(e);
          for (const w of [...waiters]) if (w.match(e)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      }
    } catch {
      /* closed */
    }
  })();
  return {
    ready,
    received,
    waitFor(match: (e: SseEvent) => boolean, timeoutMs: number): Promise<SseEvent> {
      const seen = received.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching SSE event in ${timeoutMs} ms; got ${received.map((e) => e.event).join(", ")}`)), timeoutMs);
        waiters.push({ match, resolve: (e) => { clearTimeout(t); resolve(e); } });
      });
    },
    close() {
      abort.abort();
    },
  };
}
