import type { RetryBudgetSpec } from './retry-policy';

/**
 * gRPC A6 retry throttling, one per client process (shared by all its calls): tokens start at
 * maxTokens; an attempt that ends without an answer takes one (floor 0); an `ok` call gives `ratio`
 * back (ceiling maxTokens); a retry is made only while more than half the tokens are left. So when
 * most attempts fail (the server is down or overloaded) retries stop instead of multiplying the load.
 */
export class RetryBudget {
  private tokens: number;

  constructor(readonly spec: RetryBudgetSpec) {
    this.tokens = spec.maxTokens;
  }

  get left(): number {
    return this.tokens;
  }

  onAttemptFailed(): void {
    this.tokens = Math.max(0, this.tokens - 1);
  }

  onCallOk(): void {
    this.tokens = Math.min(this.spec.maxTokens, this.tokens + this.spec.ratio);
  }

  mayRetry(): boolean {
    return this.tokens > this.spec.maxTokens / 2;
  }
}
