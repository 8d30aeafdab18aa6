// fingerprint: the pipeline's "fingerprint" stage and clip identification — a stateless worker
// that may run on any node (DESIGN §1). It reads a song's audio as a stream (media.read), decodes
// it once to mono 11025 Hz PCM (lib/media/pcm.ts), computes the landmark fingerprint
// (lib/fingerprint/landmarks.ts) and, when fpcalc is installed, a Chromaprint fingerprint from
// the same PCM (lib/fingerprint/fpcalc.ts); fpindex.save, on the node with the database, then
// compares it with the library (merge, relate) and indexes it. Recomputing replaces the song's
// hashes, so running the stage twice leaves the same index.
// `fingerprint.identify` takes a clip (a stream: an upload through POST /api/identify), computes
// its landmarks at query density and asks fpindex.match which song and where it is.
import type { Readable } from "node:stream";
import type { Context, Service, ServiceSchema } from "moleculer";
import { decodePcm } from "../../lib/media/pcm.js";
import { decodeFailure, readMedia, type MediaInfo } from "../../lib/media/read-media.js";
import { FINGERPRINT_VERSION, FP_SAMPLE_RATE, LandmarkExtractor, QUERY_OPTIONS } from "../../lib/fingerprint/landmarks.js";
import { encodeU32 } from "../../lib/fingerprint/codec.js";
import { ChromaprintSink, fpcalcPath } from "../../lib/fingerprint/fpcalc.js";
import { validationError } from "../../lib/errors.js";

/** The part of a clip that is listened to; a longer upload is cut there. */
export const MAX_CLIP_SECONDS = 60;
/** Shorter than this, a clip cannot be told apart from chance. */
export const MIN_CLIP_SECONDS = 2;

type This = Service & { fpcalc: string | null; fpcalcWarned: boolean };

const FingerprintService: ServiceSchema = {
  name: "fingerprint",

  actions: {
    /** The pipeline stage: fingerprint one song, dedupe it against the library, index it. */
    compute: {
      visibility: "public",
      params: { songId: { type: "number", integer: true, positive: true } },
      async handler(this: This, ctx: Context<{ songId: number }, { media?: MediaInfo }>) {
        const { songId } = ctx.params;
        const stream = await readMedia(ctx, songId);
        const extractor = new LandmarkExtractor();
        const chroma = this.fpcalc ? new ChromaprintSink(this.fpcalc, FP_SAMPLE_RATE) : null;
        try {
          for await (const block of decodePcm(stream, { sampleRate: FP_SAMPLE_RATE, formatHint: ctx.meta.media?.format ?? undefined })) {
            extractor.push(block);
            if (chroma?.wants) await chroma.push(block);
          }
        } catch (err) {
          chroma?.abort();
          throw decodeFailure(err);
        }
        const fp = extractor.finish();
        const cp = chroma ? await chroma.finish() : null;
        if (chroma && !cp && !this.fpcalcWarned) {
          this.fpcalcWarned = true;
          this.logger.info(`Chromaprint fingerprints are off: ${chroma.error}. Set FPCALC_PATH=off to silence this.`);
        }
        const decision = await ctx.call<Record<string, any>, object>("fpindex.save", {
          songId,
          version: FINGERPRINT_VERSION,
          frames: fp.frames,
          durationSec: fp.durationSec,
          hashes: encodeU32(fp.hashes),
          times: encodeU32(fp.times),
          chromaprint: cp?.fingerprint ?? null,
          chromaprintDuration: cp ? fp.durationSec : null,
        });
        return { status: "done", hashes: fp.hashes.length, ...decision };
      },
    },

    /** Which song a clip comes from, and where in it; `match: null` when it is not in the library. */
    identify: {
      async handler(this: This, ctx: Context<Readable, { filename?: string; mimetype?: string }>) {
        const stream = ctx.params;
        if (!stream || typeof (stream as Readable).pipe !== "function") {
          throw validationError([{ field: "file", message: "Send the clip as multipart/form-data with one file field" }]);
        }
        const extractor = new LandmarkExtractor(QUERY_OPTIONS);
        const ext = /\.([a-z0-9]{2,5})$/i.exec(ctx.meta.filename ?? "")?.[1];
        try {
          for await (const block of decodePcm(stream, { sampleRate: FP_SAMPLE_RATE, durationSec: MAX_CLIP_SECONDS, formatHint: ext })) {
            extractor.push(block);
          }
        } catch (err) {
          throw decodeFailure(err, "file");
        }
        const fp = extractor.finish();
        if (fp.durationSec < MIN_CLIP_SECONDS) {
          throw validationError([{ field: "file", message: `The clip has ${fp.durationSec.toFixed(1)} s of audio; at least ${MIN_CLIP_SECONDS} s are needed` }]);
        }
        return ctx.call("fpindex.match", {
          frames: fp.frames,
          durationSec: fp.durationSec,
          hashes: encodeU32(fp.hashes),
          times: encodeU32(fp.times),
        });
      },
    },
  },

  created(this: Service) {
    const self = this as This;
    self.fpcalc = fpcalcPath();
    self.fpcalcWarned = false;
  },
};

export default FingerprintService;
