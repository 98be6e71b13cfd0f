// The Universal Scalability Law: X(N) = λN / (1 + σ(N−1) + κN(N−1)), throughput X at N
// concurrent users. λ is the throughput of one user, σ the contention (the share of work
// that queues for something shared, Amdahl's serial fraction) and κ the coherency cost
// (each user having to agree with every other one, which makes throughput fall past a
// peak at N* = sqrt((1−σ)/κ)).
//
// The fit is least squares on throughput. For fixed σ and κ the model is linear in λ, so
// the best λ has a closed form: λ = Σ xᵢfᵢ / Σ fᵢ²,
// with fᵢ = Nᵢ / (1 + σ(Nᵢ−1) + κNᵢ(Nᵢ−1)).
// That leaves two parameters, searched in two passes: a coarse grid (σ linear in [0, 1], κ
// logarithmic from 1e-7 to 1, plus 0) and then a pattern search around the best point
// that halves its steps until they are tiny. The grid guards against a local minimum; the
// refinement gives the precision. σ and κ are kept non-negative, as the law requires.

export interface ScalingPoint {
  users: number;
  throughput: number;
}

export interface UslFit {
  sigma: number;
  kappa: number;
  lambda: number;
  /** Users at the throughput peak; null when κ = 0 (throughput only levels off). */
  peakUsers: number | null;
  /** The fitted throughput at the peak (or the ceiling λ/σ when κ = 0). */
  peakThroughput: number | null;
  /** Throughput falls as users rise within the measured range. */
  retrograde: boolean;
  /** Share of the throughput variance the fit explains. */
  rSquared: number;
}

export function uslThroughput(users: number, fit: Pick<UslFit, 'sigma' | 'kappa' | 'lambda'>) {
  return (fit.lambda * users) / shape(users, fit.sigma, fit.kappa);
}

function shape(users: number, sigma: number, kappa: number): number {
  return 1 + sigma * (users - 1) + kappa * users * (users - 1);
}

export function fitUsl(points: readonly ScalingPoint[]): UslFit {
  if (points.length < 3) {
    throw new Error(`the scalability fit needs at least 3 levels, found ${points.length}`);
  }
  let best = gridSearch(points);
  best = refine(points, best);

  const { sigma, kappa } = best;
  const lambda = bestLambda(points, sigma, kappa);
  const peakUsers = kappa > 0 ? Math.sqrt(Math.max(0, 1 - sigma) / kappa) : null;
  const peakThroughput =
    peakUsers !== null
      ? uslThroughput(Math.max(1, peakUsers), { sigma, kappa, lambda })
      : sigma > 0
        ? lambda / sigma
        : null;
  return {
    sigma: round(sigma, 5),
    kappa: round(kappa, 8),
    lambda: round(lambda, 4),
    peakUsers: peakUsers === null ? null : round(peakUsers, 2),
    peakThroughput: peakThroughput === null ? null : round(peakThroughput, 3),
    retrograde: isRetrograde(points, peakUsers),
    rSquared: round(rSquared(points, { sigma, kappa, lambda }), 4),
  };
}

interface Candidate {
  sigma: number;
  kappa: number;
  error: number;
}

function gridSearch(points: readonly ScalingPoint[]): Candidate {
  const kappas = [0];
  for (let exponent = -7; exponent <= 0; exponent += 0.25) kappas.push(10 ** exponent);
  let best: Candidate = { sigma: 0, kappa: 0, error: Infinity };
  for (let i = 0; i <= 100; i++) {
    const sigma = i / 100;
    for (const kappa of kappas) {
      const error = squaredError(points, sigma, kappa);
      if (error < best.error) best = { sigma, kappa, error };
    }
  }
  return best;
}

function refine(points: readonly ScalingPoint[], start: Candidate): Candidate {
  let best = start;
  let sigmaStep = 0.01;
  // κ spans decades, so it moves by a factor; a κ of 0 first tries a small positive value.
  let kappaFactor = 10 ** 0.25;
  while (sigmaStep > 1e-7) {
    let moved = false;
    const kappaUp = best.kappa === 0 ? 1e-9 : best.kappa * kappaFactor;
    const kappaDown = best.kappa / kappaFactor < 1e-12 ? 0 : best.kappa / kappaFactor;
    for (const [sigma, kappa] of [
      [best.sigma + sigmaStep, best.kappa],
      [best.sigma - sigmaStep, best.kappa],
      [best.sigma, kappaUp],
      [best.sigma, kappaDown],
    ]) {
      if (sigma < 0 || sigma > 1) continue;
      const error = squaredError(points, sigma, kappa);
      if (error < best.error) {
        best = { sigma, kappa, error };
        moved = true;
      }
    }
    if (!moved) {
      sigmaStep /= 2;
      kappaFactor = Math.sqrt(kappaFactor);
    }
  }
  return best;
}

function bestLambda(points: readonly ScalingPoint[], sigma: number, kappa: number): number {
  let numerator = 0;
  let denominator = 0;
  for (const p of points) {
    const f = p.users / shape(p.users, sigma, kappa);
    numerator += p.throughput * f;
    denominator += f * f;
  }
  return denominator > 0 ? numerator / denominator : 0;
}

function squaredError(points: readonly ScalingPoint[], sigma: number, kappa: number): number {
  const lambda = bestLambda(points, sigma, kappa);
  let error = 0;
  for (const p of points)
    error += (p.throughput - uslThroughput(p.users, { sigma, kappa, lambda })) ** 2;
  return error;
}

// Retrograde means the fitted peak lies inside the measured range and the measurements
// agree: the highest level's throughput is at least 5% below the best one measured. The
// second condition keeps a flat, noisy tail from being called retrograde.
function isRetrograde(points: readonly ScalingPoint[], peakUsers: number | null): boolean {
  if (peakUsers === null) return false;
  const sorted = [...points].sort((a, b) => a.users - b.users);
  const last = sorted[sorted.length - 1];
  const bestMeasured = Math.max(...sorted.map((p) => p.throughput));
  return peakUsers < last.users && last.throughput < 0.95 * bestMeasured;
}

function rSquared(
  points: readonly ScalingPoint[],
  fit: Pick<UslFit, 'sigma' | 'kappa' | 'lambda'>,
) {
  const centre = points.reduce((sum, p) => sum + p.throughput, 0) / points.length;
  let residual = 0;
  let total = 0;
  for (const p of points) {
    residual += (p.throughput - uslThroughput(p.users, fit)) ** 2;
    total += (p.throughput - centre) ** 2;
  }
  return total > 0 ? 1 - residual / total : 1;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
