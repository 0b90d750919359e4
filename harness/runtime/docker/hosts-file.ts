import fs from 'node:fs';

/**
 * One /etc/hosts for every container of a run: `<ip> <node name>` for each node, bind-mounted
 * read-only at /etc/hosts. Docker's embedded DNS also knows the aliases, but only of containers
 * that run: the name of a killed node does not resolve, and with no DNS server outside the
 * (internal) network the lookup stalls for 10 s (2 tries x 5 s) instead of failing — and libzmq
 * resolves in its I/O thread, so the stall freezes every socket of the peer. Names in this file
 * resolve at once whether their node runs or not, to the fixed IP it comes back at.
 *
 * Entries are only ever appended (O_APPEND), so a reader sees the old or the new content, never
 * a half-written file; the bind mount follows the file's inode, so appends are seen at once.
 */
export class HostsFile {
  private readonly names = new Set<string>();

  constructor(readonly path: string) {
    fs.writeFileSync(path, '# keelhaul docker run: node name -> fixed IP (harness/runtime/docker/hosts-file.ts)\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  }

  add(name: string, ip: string): void {
    if (this.names.has(name)) return;
    this.names.add(name);
    fs.appendFileSync(this.path, `${ip}\t${name}\n`);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }
}
