// The codes of a command that cannot start (StartupError, exit code 1) for a reason in the
// configuration or the machine: ports, files flags name, the zones. main.ts prints
// `gslb COMMAND: message [E_START_...]`. A GeoIP file has E_GEO_* (geo/geo-errors.ts), Redis E_REDIS_*.
import { errorCodes } from '../../zones/error-codes.js';

export const START_ERRORS = errorCodes({
  E_START_ADDRESS_IN_USE: {
    summary: 'A port to listen on (DNS over UDP or TCP, or the admin API) is taken by another process.',
    fix: "Stop the other server (ss -ulpn / ss -tlpn 'sport = :PORT' shows which), or pick another port with --listen or --admin.",
  },
  E_START_PERMISSION_DENIED: {
    summary: 'Binding the port is not allowed: a port below 1024 without the privilege, or a security policy.',
    fix: 'Grant CAP_NET_BIND_SERVICE (AmbientCapabilities= under systemd, or setcap on node), or use a port above 1023 (docs/deployment.md).',
  },
  E_START_ADDRESS_NOT_AVAILABLE: {
    summary: 'The address to listen on is not one of this machine.',
    fix: 'Listen on an address it has (ip -brief address lists them), or on 0.0.0.0 or [::] for all.',
  },
  E_START_FAMILY_UNAVAILABLE: {
    summary: 'The address family is not available: IPv6 is off on this machine (the default --listen includes [::1]).',
    fix: 'Leave the IPv6 address out of --listen (or --admin).',
  },
  E_START_LISTEN_FAILED: {
    summary: 'A socket could not be bound for another reason the system gave.',
    fix: 'Read the reason in the message; check the address and the limits (ulimit -n).',
  },
  E_START_INVALID_CONFIG: {
    summary: 'The zones have errors, each printed on a line before this one, so serve refuses to start.',
    fix: "Fix those lines (each has its own code); 'gslb check --zones DIR' prints the same without serving.",
  },
  E_START_WORKERS_TIMEOUT: {
    summary: 'The worker processes did not all start listening within 30 s.',
    fix: 'Look at the log lines before it; try --workers 1 to see the failure in one process.',
  },
  E_START_WORKER_FAILED: {
    summary: 'A worker process failed or exited before it was listening, for a reason that is not one of the above.',
    fix: 'Its error is printed above; report it if it is a stack trace (a bug).',
  },
  E_START_FLAG_FILE_UNREADABLE: {
    summary:
      'A file a flag names (--redis-url-file, --admin-token-file, --redis-tls-*) is missing, unreadable or a folder.',
    fix: 'Check the path (systemd credentials are under $CREDENTIALS_DIRECTORY) and that the file is readable by the user gslb runs as.',
  },
  E_START_FLAG_FILE_EMPTY: {
    summary: 'A secret file (--redis-url-file, --admin-token-file) is empty or holds only white space.',
    fix: 'Write the URL or token into it, on one line.',
  },
  E_START_FLAG_FILE_LINES: {
    summary: 'A secret file holds more than one line.',
    fix: 'Keep only the URL or token, on one line (no comments).',
  },
  E_START_TLS_BAD_CERTIFICATE: {
    summary: 'A certificate file (--redis-tls-ca, --redis-tls-cert) holds no PEM certificate, or a damaged one.',
    fix: 'Give the PEM file (-----BEGIN CERTIFICATE-----), not DER or a key; convert with openssl x509 -inform der.',
  },
  E_START_TLS_KEY_ENCRYPTED: {
    summary: 'The client key (--redis-tls-key) is encrypted with a passphrase, which gslb cannot ask for.',
    fix: 'Give it unencrypted (openssl pkey -in KEY -out PLAIN), readable only by gslb (mode 0600).',
  },
  E_START_TLS_BAD_KEY: {
    summary: 'The client key (--redis-tls-key) is not a PEM private key.',
    fix: 'Give the PEM private key that belongs to --redis-tls-cert.',
  },
  E_START_TLS_KEY_MISMATCH: {
    summary: 'The client key does not belong to the client certificate.',
    fix: 'Give the key the certificate was issued for (the two files from the same request).',
  },
});

export type StartErrorCode = keyof typeof START_ERRORS;
