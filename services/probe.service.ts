// probe: the pipeline's "probe" stage, a stateless worker that may run on any node. It reads a
// song's audio as a stream from the node that keeps it (media.read), decodes all of it once
// with ffmpeg (lib/media/ffmpeg.ts) and hands the findings — codec, sample rate, channels, bit
// rate, decoded duration, or why the audio is unusable — to media.recordProbe, which stores
// them. Running it twice stores the same facts again. Truncated, corrupt or non-audio files fail
// the stage for good (a client error) with the reason in words; a missing ffmpeg is retryable.
import type { Context, Service, ServiceSchema } from "moleculer";
import { Errors } from "moleculer";
import { checkAudio } from "../lib/media/ffmpeg.js";
import { decodeFailure, readMedia, type MediaInfo } from "../lib/media/read-media.js";

const ProbeService: ServiceSchema = {
  name: "probe",

  actions: {
    run: {
      visibility: "public",
      params: { songId: { type: "number", integer: true, positive: true } },
      async handler(this: Service, ctx: Context<{ songId: number }, { media?: MediaInfo }>) {
        const { songId } = ctx.params;
        const stream = await readMedia(ctx, songId);
        let check;
        try {
          check = await checkAudio(stream, { formatHint: ctx.meta.media?.format ?? undefined });
        } catch (err) {
          stream.destroy();
          throw decodeFailure(err);
        }
        await ctx.call("media.recordProbe", {
          songId,
          codec: check.codec,
          sampleRate: check.sampleRate,
          channels: check.channels,
          bitRate: check.bitRate,
          durationMs: check.durationMs,
          error: check.ok ? null : check.reason,
        });
        if (!check.ok) throw new Errors.MoleculerClientError(check.reason ?? "The audio does not decode", 422, "BAD_AUDIO");
        return { status: "done", durationMs: check.durationMs, codec: check.codec };
      },
    },
  },
};

export default ProbeService;
