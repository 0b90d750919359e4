import { randomFillSync } from 'node:crypto';

/** Random bytes in an address after its 0x00 lead byte. */
const RANDOM_BYTES = 16;
/** Addresses drawn from one fill of the pool. */
const POOL_ADDRESSES = 256;

/**
 * The client-address frame a KHX/1 broker puts on a plain 7/MDP request: 0x00 and 16 random bytes
 * (docs/protocol.md). Never a valid job id (those are printable), and unguessable, so a worker that
 * does not hold the request cannot name it. The random bytes come from the same CSPRNG as
 * randomBytes(16), but filled 256 addresses at a time: one randomBytes call per request cost the
 * broker about a tenth of its busy time under pipelined load.
 */
export class RequestAddresses {
  private readonly pool = Buffer.allocUnsafe(RANDOM_BYTES * POOL_ADDRESSES);
  private offset = this.pool.length;

  next(): Buffer {
    if (this.offset === this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    // Copied out: the pool is refilled in place, so an address must never be a view of it.
    const address = Buffer.allocUnsafe(1 + RANDOM_BYTES);
    address[0] = 0;
    this.pool.copy(address, 1, this.offset, this.offset + RANDOM_BYTES);
    this.offset += RANDOM_BYTES;
    return address;
  }
}
