// The receipts of the reports sent from this phone, newest first, for the status page.

const RECEIPTS = "shouwang.receipts";

export function receipts() {
  try {
    return JSON.parse(localStorage.getItem(RECEIPTS) || "[]");
  } catch {
    return [];
  }
}

export function remember(receipt) {
  try {
    const list = receipts().filter((r) => r.receipt_code !== receipt.receipt_code);
    list.unshift(receipt);
    localStorage.setItem(RECEIPTS, JSON.stringify(list.slice(0, 10)));
  } catch {
    // The receipt is on the screen all the same.
  }
  return receipt;
}
