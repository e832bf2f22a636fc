#!/usr/bin/python3
# Independent DNSSEC checks with dnspython (Debian's python3-dnspython, run with /usr/bin/python3):
# written apart from the signer under test, so it shares none of its canonical-form or signing code.
#
# Reads one JSON request on stdin, writes one JSON answer on stdout.
#   {"mode": "verify", "messages": [{"message": "<base64 DNS message>", "names": ["<name>", ...]}, ...],
#    "zone": "example.", "dnskey": ["<base64 DNSKEY RDATA>", ...], "now": <seconds since the epoch>}
#     -> {"results": [{"rcode", "rrsets": [{"section", "name", "type", "ttl", "rdata": [text...],
#          "signatures": [{"keyTag", "algorithm", "labels", "originalTtl", "ttl", "signer", "inception",
#           "expiration", "verdict": "ok" | "<why it failed>"}],
#          for NSEC: "nsec": {"next", "types": [...], "covers": [names of "names" strictly between owner
#           and next in canonical order, wrapping at the end of the chain], "matches": [names equal to owner]}}],
#         "orphans": [{"section", "name", "covers"}]}, ...]}   (orphans: RRSIGs covering no RRset there)
#     Every RRSIG is checked on its own (dns.dnssec.validate_rrsig: signature and time window at `now`).
#   {"mode": "order", "names": ["<presentation name>", ...]}
#     -> {"sorted": [...]}: the names in dnspython's dns.name.Name order (RFC 4034 6.1 canonical order).
import base64
import json
import sys

import dns.dnssec
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def section_rrsets(msg):
    return (("answer", msg.answer), ("authority", msg.authority), ("additional", msg.additional))


def covers(owner, nxt, name):
    """RFC 4034 4.1.1: the NSEC at owner covers the names between it and next (the last wraps)."""
    if owner < nxt:
        return owner < name < nxt
    return name > owner or name < nxt


def nsec_facts(rs, names):
    rd = rs[0]
    types = []
    for window, bitmap in rd.windows:
        for i, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    types.append(dns.rdatatype.to_text(window * 256 + i * 8 + bit))
    return {
        "next": rd.next.to_text(),
        "types": types,
        "covers": [n.to_text() for n in names if covers(rs.name, rd.next, n)],
        "matches": [n.to_text() for n in names if n == rs.name],
    }


def verify(req):
    zone = dns.name.from_text(req["zone"])
    keyset = dns.rrset.RRset(zone, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    for k in req["dnskey"]:
        raw = base64.b64decode(k)
        keyset.add(dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.DNSKEY, raw, 0, len(raw)))
    keys = {zone: keyset}
    return {"results": [verify_one(m, keys, req["now"]) for m in req["messages"]]}


def verify_one(m, keys, now):
    msg = dns.message.from_wire(base64.b64decode(m["message"]))
    names = [dns.name.from_text(n) for n in m.get("names", [])]
    out = []
    orphans = []
    for section, rrsets in section_rrsets(msg):
        sigs = {}
        for rs in rrsets:
            if rs.rdtype == dns.rdatatype.RRSIG:
                sigs[(rs.name, rs.covers)] = rs
        used = set()
        for rs in rrsets:
            if rs.rdtype == dns.rdatatype.RRSIG:
                continue
            entry = {
                "section": section,
                "name": rs.name.to_text(),
                "type": dns.rdatatype.to_text(rs.rdtype),
                "ttl": rs.ttl,
                "rdata": [r.to_text() for r in rs],
                "signatures": [],
            }
            if rs.rdtype == dns.rdatatype.NSEC:
                entry["nsec"] = nsec_facts(rs, names)
            sigset = sigs.get((rs.name, rs.rdtype))
            if sigset is not None:
                used.add((rs.name, rs.rdtype))
                for sig in sigset:
                    try:
                        dns.dnssec.validate_rrsig(rs, sig, keys, None, now)
                        verdict = "ok"
                    except dns.dnssec.ValidationFailure as e:
                        verdict = str(e) or "validation failure"
                    entry["signatures"].append(
                        {
                            "keyTag": sig.key_tag,
                            "algorithm": int(sig.algorithm),
                            "labels": sig.labels,
                            "originalTtl": sig.original_ttl,
                            "ttl": sigset.ttl,
                            "signer": sig.signer.to_text(),
                            "inception": sig.inception,
                            "expiration": sig.expiration,
                            "verdict": verdict,
                        }
                    )
            out.append(entry)
        for key in sigs:
            if key not in used:
                orphans.append({"section": section, "name": key[0].to_text(), "covers": dns.rdatatype.to_text(key[1])})
    return {"rcode": msg.rcode(), "rrsets": out, "orphans": orphans}


def order(req):
    names = [dns.name.from_text(n) for n in req["names"]]
    return {"sorted": [n.to_text() for n in sorted(names)]}


def main():
    req = json.load(sys.stdin)
    mode = req.get("mode", "verify")
    result = verify(req) if mode == "verify" else order(req)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
