"""pcapgen: an independent reference for Almanac's sensor tests.

Builds DNS messages, frames them in link/IP/UDP/TCP headers, writes pcap and
pcapng files, and computes the observations docs/observations.md says the
sensor must report. Standard library only; shares nothing with the C code.

Modules:
  dnsmsg    DNS names and messages, with name compression as servers do it
  rdata     constructors for the rdata of every type the generators use
  present   rdata presentation (COF text) from canonical rdata
  truth     which RRs become observations; merging; JSON lines; counters
  packets   Ethernet/VLAN/SLL/SLL2/null/loop framing, IPv4/IPv6, UDP, TCP
  flows     IP fragmentation and DNS-over-TCP connections
  pcapfile  pcap (usec, nsec) and pcapng writers
  zones     the realistic generator's zones and how a resolver answers
  realistic the realistic traffic generator (gencap.py realistic)
  bench     the fast template-based generator (gencap.py bench)
  crafted   Case: one small capture of tests/data with its truth
  cases_*   the captures mkdata.py writes (net, dns, rules, bad)
"""
