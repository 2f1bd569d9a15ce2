export type ResultOutcome = 'success' | 'unknown-retry' | 'customer-final' | 'systemic-final' | 'already-done';
