// The codes of a zone's own errors: its master files (masterfile.ts) and the zone built from them
// (zone.ts). docs/errors.md lists them; test/errors-doc.test.ts keeps the two in step.
import { errorCodes } from './error-codes.js';

export const ZONE_ERRORS = errorCodes({
  E_ZONE_SYNTAX: {
    summary: 'A master-file line cannot be read: unbalanced parentheses or an unterminated quoted string.',
    fix: 'Close the parenthesis or the quote on the line named (a record may span lines only inside parentheses).',
  },
  E_ZONE_UNSUPPORTED_DIRECTIVE: {
    summary: 'A directive other than $ORIGIN and $TTL ($INCLUDE, $GENERATE, a typo).',
    fix: 'Write the records out: put an included file in the zone folder as its own *.zone file (every one is read).',
  },
  E_ZONE_BAD_DIRECTIVE: {
    summary: '$ORIGIN or $TTL without its value, with more than one, or $ORIGIN with a name that is not valid.',
    fix: 'Give exactly one domain name after $ORIGIN and one TTL after $TTL.',
  },
  E_ZONE_BAD_OWNER: {
    summary: "A record's owner name is not a valid domain name (quoted, an empty label, a label over 63 octets).",
    fix: 'Correct the name at the start of the line; escape special characters with a backslash.',
  },
  E_ZONE_NO_OWNER: {
    summary:
      'The first record starts with white space, so it would take the owner of a record before it, and there is none.',
    fix: 'Start the first record with its owner name (@ for the apex) at the beginning of the line.',
  },
  E_ZONE_OUT_OF_ZONE: {
    summary: "A record's owner is not at or below the zone's apex (the folder's name).",
    fix: "Check $ORIGIN and names ending in a dot; a record for another zone belongs in that zone's folder.",
  },
  E_ZONE_BAD_TTL: {
    summary:
      'A TTL is not a number (with optional s/m/h/d/w units), is out of range (0..2147483647), or is given twice.',
    fix: 'Write one TTL per record, such as 300 or 5m.',
  },
  E_ZONE_NO_TTL: {
    summary: 'A record has no TTL and none is known yet ($TTL, an earlier TTL, or the SOA minimum).',
    fix: 'Put $TTL at the top of the file, or give the record a TTL.',
  },
  E_ZONE_BAD_CLASS: {
    summary: 'A class other than IN (CH, HS, CLASSn), or two classes on one record.',
    fix: 'Use IN, or leave the class out (IN is assumed).',
  },
  E_ZONE_BAD_TYPE: {
    summary: 'The record type is missing, unknown, or one that cannot appear in a zone file (OPT, AXFR, ANY ...).',
    fix: 'Use a known type name, or TYPEnn with the RFC 3597 `\\# length hex` form; meta types have no place in a zone.',
  },
  E_ZONE_BAD_RDATA: {
    summary: "A record's data does not fit its type: a bad address, a missing field, a number out of range, too long.",
    fix: 'Correct the fields after the type; the message names the field and what it takes.',
  },
  E_ZONE_LB_NAME_HAS_RECORDS: {
    summary:
      'A load-balanced name also has A, AAAA or CNAME records in a master file (a name load-balanced by CNAME: any record).',
    fix: "Remove those records: the policy's pools give the name's addresses (or take the name out of the policy).",
  },
  E_ZONE_LB_BELOW_DELEGATION: {
    summary:
      'A load-balanced name is at or below a delegation (NS records below the apex), where this server is not authoritative.',
    fix: 'Move the name out of the delegated subtree, or remove the delegation.',
  },
  E_ZONE_MULTIPLE_CNAME: {
    summary: 'A name has more than one CNAME record.',
    fix: 'Keep one CNAME per name (for several targets, use a load-balanced name instead).',
  },
  E_ZONE_CNAME_AND_OTHER_DATA: {
    summary: 'A name has a CNAME and other records (RFC 1034 section 3.6.2 forbids it).',
    fix: 'Give the other records to the CNAME target, or replace the CNAME with the records themselves.',
  },
  E_ZONE_SOA_NOT_AT_APEX: {
    summary: 'An SOA record is below the apex.',
    fix: 'Put the SOA at @; a subzone with its own SOA needs its own folder (and NS records for it in this zone).',
  },
  E_ZONE_MULTIPLE_SOA: {
    summary: 'The zone has more than one SOA record (perhaps in two master files).',
    fix: 'Keep one SOA at the apex.',
  },
  E_ZONE_MISSING_SOA: {
    summary: 'The zone has no SOA record at its apex.',
    fix: 'Add one: @ SOA ns1 hostmaster 1 7200 900 1209600 300.',
  },
  E_ZONE_MISSING_NS: {
    summary: 'The zone has no NS records at its apex.',
    fix: 'Add the NS records the parent zone delegates to (@ NS ns1.example.com.).',
  },
});

export type ZoneErrorCode = keyof typeof ZONE_ERRORS;
