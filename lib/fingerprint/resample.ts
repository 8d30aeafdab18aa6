// Time-stretching a clip by a small factor with its pitch (a change of playback speed), for the
// speed search of query.ts: a windowed-sinc interpolator (Hann window, HALF taps each side, cutoff
// lowered when the output reads the input faster than one sample a sample, so nothing aliases).
// y[j] = x(j / speed): a clip played `speed` times too fast comes back to the song's time and pitch.

const HALF = 12;
const PHASES = 256;

/** The clip as it would sound at 1/`speed` of its speed (speed 1.02: 2 % longer and lower). */
export function unspeed(x: Float32Array, speed: number): Float32Array {
  if (!(speed > 0.5 && speed < 2)) throw new RangeError(`speed ${speed} out of range (0.5 … 2)`);
  const n = Math.floor(x.length * speed);
  const y = new Float32Array(n);
  const step = 1 / speed; // input samples per output sample
  const cut = Math.min(1, speed); // of the input's Nyquist
  const half = Math.ceil(HALF / cut);
  const taps = 2 * half;
  // The kernel at PHASES fractional positions (the nearest one is used: error < 1/(2·PHASES) sample).
  const table = new Float32Array((PHASES + 1) * taps);
  for (let p = 0; p <= PHASES; p++) {
    let norm = 0;
    for (let k = 0; k < taps; k++) {
      const d = p / PHASES + half - 1 - k; // pos − i for i = i0 − half + 1 + k
      const a = Math.PI * d * cut;
      const v = (a === 0 ? 1 : Math.sin(a) / a) * (0.5 + 0.5 * Math.cos((Math.PI * d) / (half + 1)));
      table[p * taps + k] = v;
      norm += v;
    }
    for (let k = 0; k < taps; k++) table[p * taps + k] /= norm;
  }
  for (let j = 0; j < n; j++) {
    const pos = j * step;
    const i0 = Math.floor(pos);
    const base = Math.round((pos - i0) * PHASES) * taps;
    const first = i0 - half + 1;
    let acc = 0;
    if (first >= 0 && first + taps <= x.length) {
      for (let k = 0; k < taps; k++) acc += x[first + k] * table[base + k];
    } else {
      for (let k = 0; k < taps; k++) {
        const i = first + k;
        if (i >= 0 && i < x.length) acc += x[i] * table[base + k];
      }
    }
    y[j] = acc;
  }
  return y;
}
