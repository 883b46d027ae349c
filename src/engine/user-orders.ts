import type { RestingOrder } from './resting-order.ts';

interface UserList {
  head: RestingOrder;
  tail: RestingOrder;
}

/**
 * Each user's resting orders in the order they took their place in the book (ascending entrySeq),
 * as an intrusive list through the orders themselves: cancelAll walks it, O(1) to add or remove.
 */
export class UserOrders {
  private readonly lists = new Map<number, UserList>();

  first(userId: number): RestingOrder | null {
    return this.lists.get(userId)?.head ?? null;
  }

  append(order: RestingOrder): void {
    const list = this.lists.get(order.userId);
    order.userNext = null;
    if (list === undefined) {
      order.userPrev = null;
      this.lists.set(order.userId, { head: order, tail: order });
      return;
    }
    order.userPrev = list.tail;
    list.tail.userNext = order;
    list.tail = order;
  }

  remove(order: RestingOrder): void {
    const list = this.lists.get(order.userId)!;
    const { userPrev, userNext } = order;
    if (userPrev === null && userNext === null) {
      this.lists.delete(order.userId);
    } else {
      if (userPrev === null) list.head = userNext!;
      else userPrev.userNext = userNext;
      if (userNext === null) list.tail = userPrev!;
      else userNext.userPrev = userPrev;
    }
    order.userPrev = null;
    order.userNext = null;
  }
}
