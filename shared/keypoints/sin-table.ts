/**
 * OpenCV's whole-degree sine table (drawing.cpp `SinTable`): sin(i°) for i in 0..450, rounded to
 * 7 decimals and stored as float32. ellipse2Poly reads cos(i°) as entry 450 - i. Its points must be
 * computed from these coarse values, not Math.sin, or the rounded polygon vertices drift by a pixel.
 */
const ENTRIES = 451;

/** sin of a whole number of degrees in [0, 90], at the table's 7-decimal precision, as float32. */
function quarterSine(degrees: number): number {
  const exact = Math.sin((degrees * Math.PI) / 180);
  return Math.fround(Math.round(exact * 1e7) / 1e7);
}

function buildTable(): Float64Array {
  const table = new Float64Array(ENTRIES);
  for (let i = 0; i < ENTRIES; i++) {
    // Fold onto the first quadrant so symmetric entries are identical, as in the table.
    const a = i % 360;
    if (a <= 90) table[i] = quarterSine(a);
    else if (a <= 180) table[i] = quarterSine(180 - a);
    else if (a <= 270) table[i] = -quarterSine(a - 180);
    else table[i] = -quarterSine(360 - a);
  }
  return table;
}

export const SIN_TABLE: Readonly<Float64Array> = buildTable();
