/**
 * The error function as the reference defines it (JS has no Math.erf). It lives in the IR, like
 * the random generator, because backends without a float64 Erf reproduce it coefficient by
 * coefficient (the ONNX backend does, in double ops).
 */
// W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
// coefficients as in Netlib SPECFUN's CALERF (the published 18 digits, written as the doubles they
// round to); relative error below 1e-15 on every interval.
/** Numerator coefficients of erf on |x| <= 0.5. */
export const ERF_A = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
/** Denominator coefficients of erf on |x| <= 0.5. */
export const ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
/** Numerator coefficients of erfc on 0.5 < |x| <= 4. */
export const ERFC_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
/** Denominator coefficients of erfc on 0.5 < |x| <= 4. */
export const ERFC_D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
/** Numerator coefficients of erfc on |x| > 4. */
export const ERFC_P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
/** Denominator coefficients of erfc on |x| > 4. */
export const ERFC_Q = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];
/** 1 / sqrt(pi), as a double. */
export const ONE_OVER_SQRT_PI = 0.5641895835477563;

/** exp(-y^2) without the rounding error of squaring y: split y into a 1/16-grid part and the rest. */
function expMinusSquare(y: number): number {
  const coarse = Math.trunc(16 * y) / 16;
  return Math.exp(-coarse * coarse) * Math.exp(-(y - coarse) * (y + coarse));
}

/** The error function; JS has no Math.erf. */
export function erf(x: number): number {
  const y = Math.abs(x);
  if (y <= 0.46875) {
    // erf(x) = x * R(x^2) directly: no cancellation near 0, so erf(1e-10) keeps full precision.
    const z = y * y;
    let num = ERF_A[4]! * z;
    let den = z;
    for (let i = 0; i < 3; i++) {
      num = (num + ERF_A[i]!) * z;
      den = (den + ERF_B[i]!) * z;
    }
    return (x * (num + ERF_A[3]!)) / (den + ERF_B[3]!);
  }
  let erfc: number;
  if (y <= 4) {
    let num = ERFC_C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERFC_C[i]!) * y;
      den = (den + ERFC_D[i]!) * y;
    }
    erfc = (expMinusSquare(y) * (num + ERFC_C[7]!)) / (den + ERFC_D[7]!);
  } else if (y < 6) {
    const z = 1 / (y * y);
    let num = ERFC_P[5]! * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + ERFC_P[i]!) * z;
      den = (den + ERFC_Q[i]!) * z;
    }
    const r = (z * (num + ERFC_P[4]!)) / (den + ERFC_Q[4]!);
    erfc = (expMinusSquare(y) * (ONE_OVER_SQRT_PI - r)) / y;
  } else {
    // erfc(6) = 2.2e-17 is below half an ulp of 1, and this branch also catches NaN.
    erfc = Number.isNaN(y) ? y : 0;
  }
  return x < 0 ? erfc - 1 : 1 - erfc;
}
