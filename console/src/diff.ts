/** One row of a side-by-side diff: a line on the left, the right, or both (unchanged). */
export interface DiffRow {
  left?: string;
  right?: string;
  kind: 'same' | 'removed' | 'added' | 'changed';
}

/**
 * Line diff by longest common subsequence (task definitions are a few hundred lines at most, so
 * the quadratic table is small). A removal next to an addition is shown as one changed row.
 */
export const sideBySide = (leftText: string, rightText: string): DiffRow[] => {
  const left = leftText.split('\n');
  const right = rightText.split('\n');
  const common: number[][] = Array.from({ length: left.length + 1 }, () => new Array<number>(right.length + 1).fill(0));
  for (let i = left.length - 1; i >= 0; i--) {
    for (let j = right.length - 1; j >= 0; j--) {
      common[i][j] = left[i] === right[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const rows: DiffRow[] = [];
  let i = 0;
  let j = 0;
  const removed: string[] = [];
  const added: string[] = [];
  const flush = () => {
    while (removed.length || added.length) {
      const l = removed.shift();
      const r = added.shift();
      rows.push({ left: l, right: r, kind: l !== undefined && r !== undefined ? 'changed' : l !== undefined ? 'removed' : 'added' });
    }
  };
  while (i < left.length || j < right.length) {
    if (i < left.length && j < right.length && left[i] === right[j]) {
      flush();
      rows.push({ left: left[i], right: right[j], kind: 'same' });
      i++;
      j++;
    } else if (j < right.length && (i === left.length || common[i][j + 1] >= common[i + 1][j])) {
      added.push(right[j++]);
    } else {
      removed.push(left[i++]);
    }
  }
  flush();
  return rows;
};
