// Small dense linear algebra for the embedding model: covariance of a set of vectors and the
// eigen-decomposition of a symmetric matrix. The matrices here are as wide as a song descriptor
// (a few dozen dimensions), so the cyclic Jacobi method — rotations that zero one off-diagonal
// element at a time, sweeping until the off-diagonal mass is gone (Golub & Van Loan, "Matrix
// Computations", §8.5) — is simple, exact to rounding and fast enough (a 57 × 57 matrix: about a
// millisecond).

/** A row-major square matrix of size n. */
export interface Square {
  n: number;
  a: Float64Array;
}

export function square(n: number): Square {
  return { n, a: new Float64Array(n * n) };
}

/** Mean of the rows and their covariance (divided by rows − 1; by 1 for a single row). */
export function covariance(rows: ArrayLike<number>[], dims: number): { mean: Float64Array; cov: Square } {
  const mean = new Float64Array(dims);
  for (const r of rows) for (let j = 0; j < dims; j++) mean[j] += r[j];
  if (rows.length) for (let j = 0; j < dims; j++) mean[j] /= rows.length;
  const cov = square(dims);
  const d = new Float64Array(dims);
  for (const r of rows) {
    for (let j = 0; j < dims; j++) d[j] = r[j] - mean[j];
    for (let i = 0; i < dims; i++) {
      const di = d[i];
      if (di === 0) continue;
      const row = i * dims;
      for (let j = i; j < dims; j++) cov.a[row + j] += di * d[j];
    }
  }
  const div = Math.max(1, rows.length - 1);
  for (let i = 0; i < dims; i++) {
    for (let j = i; j < dims; j++) {
      const v = cov.a[i * dims + j] / div;
      cov.a[i * dims + j] = v;
      cov.a[j * dims + i] = v;
    }
  }
  return { mean, cov };
}

export interface Eigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** vectors[k] is the unit eigenvector of values[k]. */
  vectors: Float64Array[];
}

/** Eigenvalues and eigenvectors of a symmetric matrix (cyclic Jacobi rotations), largest first. */
export function symmetricEigen(m: Square, maxSweeps = 60): Eigen {
  const n = m.n;
  const a = Float64Array.from(m.a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  const tiny = 1e-22 * Math.max(scale, 1e-300);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off <= tiny) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // The rotation angle that zeroes a[p][q]: t = tan θ, the smaller root of t² + 2τt − 1 = 0.
        const tau = (aqq - app) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        for (let k = 0; k < n; k++) {
          // Columns p and q of A·J …
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          // … then rows p and q of Jᵀ·(A·J).
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  return {
    values: Float64Array.from(order, (i) => a[i * n + i]),
    vectors: order.map((i) => Float64Array.from({ length: n }, (_, k) => v[k * n + i])),
  };
}

export function squaredDistance(x: ArrayLike<number>, xOff: number, y: ArrayLike<number>, yOff: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = x[xOff + i] - y[yOff + i];
    s += d * d;
  }
  return s;
}
