// features: the pipeline's "features" stage, a stateless worker that may run on any node. It
// reads a song's audio as a stream (media.read), decodes it once with ffmpeg — mono PCM for the
// analysis and, from the same decode, EBU R128 loudness on the original channels — and measures
// tempo and beats, key and mode, loudness and true peak, energy, danceability, valence/arousal,
// spectral shape, onset rate, the rhythm pattern, MFCC statistics and an instrumental estimate
// (lib/features/).
// songs.recordFeatures stores them; a new algorithm version (FEATURES_VERSION, the stage's
// version) re-analyses the library in the background.
import type { Context, Service, ServiceSchema } from "moleculer";
import { decodeFailure, readMedia, type MediaInfo } from "../lib/media/read-media.js";
import { analyzeFile, FEATURES_VERSION } from "../lib/features/analyze.js";

const FeaturesService: ServiceSchema = {
  name: "features",

  actions: {
    extract: {
      visibility: "public",
      params: { songId: { type: "number", integer: true, positive: true } },
      async handler(this: Service, ctx: Context<{ songId: number }, { media?: MediaInfo }>) {
        const { songId } = ctx.params;
        const stream = await readMedia(ctx, songId);
        let features;
        try {
          features = await analyzeFile(stream, { formatHint: ctx.meta.media?.format ?? undefined });
        } catch (err) {
          stream.destroy();
          throw decodeFailure(err);
        }
        await ctx.call("songs.recordFeatures", { songId, version: FEATURES_VERSION, features });
        return { status: "done", tempo: features.tempo.bpm, key: features.key.tonic, mode: features.key.mode };
      },
    },
  },
};

export default FeaturesService;
