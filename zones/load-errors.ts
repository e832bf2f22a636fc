// The codes of the zones folder as a whole (load.ts): the folder, its zone folders and their files.
// A zone's own errors are in zone-errors.ts, its policy's in policy/errors.ts.
import { errorCodes } from './error-codes.js';

export const ZONES_ERRORS = errorCodes({
  E_ZONES_NOT_A_FOLDER: {
    summary: 'The zones directory (--zones) is a file, not a folder.',
    fix: 'Give the folder that holds one folder per zone.',
  },
  E_ZONES_UNREADABLE: {
    summary: 'The zones directory cannot be read: not found, or permission denied.',
    fix: 'Check the path and that the user gslb runs as may read and list it.',
  },
  E_ZONES_IS_A_ZONE_FOLDER: {
    summary: 'The zones directory is itself a zone folder (it holds master or policy files).',
    fix: 'Give its parent, as the message says: --zones takes the folder that holds the zone folders.',
  },
  E_ZONES_BAD_FOLDER_NAME: {
    summary: "A folder's name is not a domain name, so it cannot name a zone.",
    fix: 'Name each zone folder after its apex (gslb.example.com); move other folders out, or start their name with a dot.',
  },
  E_ZONES_DUPLICATE_APEX: {
    summary: "Two folders name the same zone (such as 'example.com' and 'example.com.', or in other letter case).",
    fix: "Merge them into one folder: a zone's files may be spread over sub-folders of its folder.",
  },
  E_ZONES_NO_MASTER_FILE: {
    summary: 'A zone folder has no master file (*.zone), so the zone has no SOA or NS records.',
    fix: 'Add a master file with at least the SOA and NS records, or remove the folder.',
  },
  E_ZONES_FILE_UNREADABLE: {
    summary: 'A master file or policy file in a zone folder cannot be read: permission denied, or an I/O error.',
    fix: 'Make the file readable by the user gslb runs as (or remove it).',
  },
  E_ZONES_NO_ZONES: {
    summary: 'The zones directory holds no zone folders.',
    fix: 'Create one folder per zone, named after its apex, with its master files inside.',
  },
});

export type ZonesErrorCode = keyof typeof ZONES_ERRORS;
