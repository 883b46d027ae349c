import { PriceLevel } from './price-level.ts';

/**
 * A red-black tree of price levels (CLRS, with a per-tree sentinel), ordered by `level.key`, with the
 * minimum cached. Adding or removing a level is O(log L), the best level is O(1), and stepping to the
 * next one is O(1) amortized. Only level creation and removal touch the tree: matching, resting at an
 * existing price and cancels that leave a level non-empty never do.
 */
export class PriceTree {
  private readonly nil: PriceLevel;
  private root: PriceLevel;
  /** The level with the smallest key (the best price), or null when the side is empty. */
  first: PriceLevel | null = null;
  size = 0;

  constructor() {
    this.nil = new PriceLevel(0, 0, null);
    this.nil.red = false;
    this.root = this.nil;
  }

  insert(z: PriceLevel): void {
    const nil = this.nil;
    let y = nil;
    let x = this.root;
    while (x !== nil) {
      y = x;
      x = z.key < x.key ? x.left : x.right;
    }
    z.parent = y;
    if (y === nil) this.root = z;
    else if (z.key < y.key) y.left = z;
    else y.right = z;
    z.left = nil;
    z.right = nil;
    z.red = true;
    this.insertFixup(z);
    if (this.first === null || z.key < this.first.key) this.first = z;
    this.size++;
  }

  remove(z: PriceLevel): void {
    const nil = this.nil;
    if (this.first === z) this.first = this.next(z);
    let y = z;
    let yWasRed = y.red;
    let x: PriceLevel;
    if (z.left === nil) {
      x = z.right;
      this.transplant(z, z.right);
    } else if (z.right === nil) {
      x = z.left;
      this.transplant(z, z.left);
    } else {
      y = this.minimum(z.right);
      yWasRed = y.red;
      x = y.right;
      if (y.parent === z) {
        x.parent = y;
      } else {
        this.transplant(y, y.right);
        y.right = z.right;
        y.right.parent = y;
      }
      this.transplant(z, y);
      y.left = z.left;
      y.left.parent = y;
      y.red = z.red;
    }
    if (!yWasRed) this.deleteFixup(x);
    z.left = nil;
    z.right = nil;
    z.parent = nil;
    this.size--;
  }

  /** The level after `node` in key order (the next-best price), or null. */
  next(node: PriceLevel): PriceLevel | null {
    const nil = this.nil;
    if (node.right !== nil) return this.minimum(node.right);
    let child = node;
    let parent = node.parent;
    while (parent !== nil && child === parent.right) {
      child = parent;
      parent = parent.parent;
    }
    return parent === nil ? null : parent;
  }

  /** Checks the red-black properties and the ordering; returns the black height. For tests. */
  verify(): number {
    if (this.root.red) throw new Error('red root');
    return this.verifyNode(this.root, -Infinity, Infinity);
  }

  private verifyNode(node: PriceLevel, low: number, high: number): number {
    if (node === this.nil) return 1;
    if (!(node.key > low && node.key < high)) throw new Error(`key ${node.key} out of order`);
    if (node.red && (node.left.red || node.right.red))
      throw new Error(`red node ${node.key} has a red child`);
    if (node.left !== this.nil && node.left.parent !== node) throw new Error('broken parent link');
    if (node.right !== this.nil && node.right.parent !== node) throw new Error('broken parent link');
    const leftHeight = this.verifyNode(node.left, low, node.key);
    const rightHeight = this.verifyNode(node.right, node.key, high);
    if (leftHeight !== rightHeight) throw new Error(`black heights differ under ${node.key}`);
    return leftHeight + (node.red ? 0 : 1);
  }

  private minimum(node: PriceLevel): PriceLevel {
    while (node.left !== this.nil) node = node.left;
    return node;
  }

  private transplant(u: PriceLevel, v: PriceLevel): void {
    if (u.parent === this.nil) this.root = v;
    else if (u === u.parent.left) u.parent.left = v;
    else u.parent.right = v;
    v.parent = u.parent;
  }

  private rotateLeft(x: PriceLevel): void {
    const y = x.right;
    x.right = y.left;
    if (y.left !== this.nil) y.left.parent = x;
    this.transplant(x, y);
    y.left = x;
    x.parent = y;
  }

  private rotateRight(x: PriceLevel): void {
    const y = x.left;
    x.left = y.right;
    if (y.right !== this.nil) y.right.parent = x;
    this.transplant(x, y);
    y.right = x;
    x.parent = y;
  }

  private insertFixup(z: PriceLevel): void {
    while (z.parent.red) {
      const parent = z.parent;
      const grandparent = parent.parent;
      if (parent === grandparent.left) {
        const uncle = grandparent.right;
        if (uncle.red) {
          parent.red = false;
          uncle.red = false;
          grandparent.red = true;
          z = grandparent;
        } else {
          if (z === parent.right) {
            z = parent;
            this.rotateLeft(z);
          }
          z.parent.red = false;
          z.parent.parent.red = true;
          this.rotateRight(z.parent.parent);
        }
      } else {
        const uncle = grandparent.left;
        if (uncle.red) {
          parent.red = false;
          uncle.red = false;
          grandparent.red = true;
          z = grandparent;
        } else {
          if (z === parent.left) {
            z = parent;
            this.rotateRight(z);
          }
          z.parent.red = false;
          z.parent.parent.red = true;
          this.rotateLeft(z.parent.parent);
        }
      }
    }
    this.root.red = false;
  }

  private deleteFixup(x: PriceLevel): void {
    while (x !== this.root && !x.red) {
      if (x === x.parent.left) {
        let w = x.parent.right;
        if (w.red) {
          w.red = false;
          x.parent.red = true;
          this.rotateLeft(x.parent);
          w = x.parent.right;
        }
        if (!w.left.red && !w.right.red) {
          w.red = true;
          x = x.parent;
        } else {
          if (!w.right.red) {
            w.left.red = false;
            w.red = true;
            this.rotateRight(w);
            w = x.parent.right;
          }
          w.red = x.parent.red;
          x.parent.red = false;
          w.right.red = false;
          this.rotateLeft(x.parent);
          x = this.root;
        }
      } else {
        let w = x.parent.left;
        if (w.red) {
          w.red = false;
          x.parent.red = true;
          this.rotateRight(x.parent);
          w = x.parent.left;
        }
        if (!w.right.red && !w.left.red) {
          w.red = true;
          x = x.parent;
        } else {
          if (!w.left.red) {
            w.right.red = false;
            w.red = true;
            this.rotateLeft(w);
            w = x.parent.left;
          }
          w.red = x.parent.red;
          x.parent.red = false;
          w.left.red = false;
          this.rotateRight(x.parent);
          x = this.root;
        }
      }
    }
    x.red = false;
  }
}
