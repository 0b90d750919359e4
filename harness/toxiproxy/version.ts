/**
 * The Toxiproxy release whose API this server reproduces. Clients and tools branch on it
 * (`GET /version`, `--version`), so it names the real release, not keelhaul's own version.
 */
export const TOXIPROXY_VERSION = '2.12.0';
