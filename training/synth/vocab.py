"""ICT vocabulary for synthetic diagrams: network functions, devices, interfaces, protocols,
procedures, state machines and packet formats, as they appear in 3GPP / IETF / IEEE manuals."""

from __future__ import annotations

# -- 5G / LTE core and RAN ---------------------------------------------------------------
NF_5GC = ["AMF", "SMF", "UPF", "AUSF", "UDM", "UDR", "PCF", "NRF", "NSSF", "NEF", "AF"]
NF_EPC = ["MME", "SGW", "PGW", "HSS", "PCRF"]
RAN = ["UE", "gNB", "eNodeB", "ng-eNB", "gNB-CU", "gNB-DU"]
# (source, target) -> reference point, as in TS 23.501 / TS 23.401
REFERENCE_POINTS = {
    ("UE", "AMF"): "N1",
    ("gNB", "AMF"): "N2",
    ("gNB", "UPF"): "N3",
    ("SMF", "UPF"): "N4",
    ("UPF", "DN"): "N6",
    ("AMF", "SMF"): "N11",
    ("AMF", "AUSF"): "N12",
    ("AMF", "UDM"): "N8",
    ("SMF", "PCF"): "N7",
    ("AUSF", "UDM"): "N13",
    ("AMF", "PCF"): "N15",
    ("PCF", "AF"): "N5",
    ("SMF", "UDM"): "N10",
    ("UE", "gNB"): "Uu",
    ("gNB", "gNB2"): "Xn",
    ("eNodeB", "MME"): "S1-MME",
    ("eNodeB", "SGW"): "S1-U",
    ("MME", "SGW"): "S11",
    ("MME", "HSS"): "S6a",
    ("SGW", "PGW"): "S5",
    ("PGW", "PCRF"): "Gx",
    ("PGW", "PDN"): "SGi",
    ("UE", "eNodeB"): "LTE-Uu",
}

# -- enterprise / carrier networking --------------------------------------------------------
DEVICE_ROLES = {
    "router": ["Core Router", "PE Router", "CE Router", "Edge Router", "BRAS", "ASBR"],
    "switch": ["Core Switch", "Aggregation Switch", "Access Switch", "ToR Switch", "Spine", "Leaf"],
    "security": ["Firewall", "IPS", "VPN Gateway", "Load Balancer", "WAF"],
    "server": ["DHCP Server", "DNS Server", "RADIUS Server", "NMS", "Syslog Server", "AAA Server"],
    "endpoint": ["PC", "IP Phone", "AP", "Printer", "Camera", "OLT", "ONT"],
    "cloud": ["Internet", "MPLS Backbone", "ISP", "WAN", "Data Center"],
}
DEVICE_SHAPES = {
    "router": "circle",
    "switch": "rect",
    "security": "hexagon",
    "server": "database",
    "endpoint": "round",
    "cloud": "stadium",
}
INTERFACE_STYLES = [
    "GE0/0/{a}",
    "GigabitEthernet0/{a}",
    "XGE1/0/{a}",
    "10GE1/0/{a}",
    "eth{a}",
    "Gi1/0/{a}",
    "Te0/{a}",
    "Eth-Trunk{a}",
    "Vlanif{v}",
    "100GE2/0/{a}",
]
LINK_KINDS = [
    "1000BASE-T",
    "10GBASE-LR",
    "LACP trunk",
    "802.1Q trunk",
    "OSPF area 0",
    "eBGP",
    "iBGP",
]
SITE_NAMES = ["HQ", "Branch A", "Branch B", "DC1", "DC2", "Campus", "DMZ", "Core", "Access Layer"]

# -- procedures (flowcharts) --------------------------------------------------------------------
# Each: (title, steps, decisions) where a decision is (question, yes-label, no-label, failure action)
PROCEDURES = [
    (
        "Configure OSPF",
        [
            "Enter system view",
            "Create OSPF process 1",
            "Create area 0",
            "Advertise network segments",
            "Check OSPF neighbors",
        ],
        [("Neighbor state Full?", "Yes", "No", "Check hello and dead timers")],
    ),
    (
        "Upgrade device software",
        [
            "Back up configuration",
            "Upload system software via FTP",
            "Set startup software",
            "Reboot device",
            "Verify version",
        ],
        [
            ("Enough flash space?", "Yes", "No", "Delete unused files"),
            ("Version correct?", "Yes", "No", "Roll back to previous image"),
        ],
    ),
    (
        "DHCP address allocation",
        [
            "Receive DHCPDISCOVER",
            "Select address pool",
            "Send DHCPOFFER",
            "Receive DHCPREQUEST",
            "Send DHCPACK",
        ],
        [("Free address in pool?", "Yes", "No", "Send DHCPNAK")],
    ),
    (
        "802.1X authentication",
        [
            "Client connects to port",
            "Send EAP-Request/Identity",
            "Forward credentials to RADIUS server",
            "Open port",
            "Assign VLAN",
        ],
        [("RADIUS Access-Accept?", "Accept", "Reject", "Keep port unauthorized")],
    ),
    (
        "Fault diagnosis for link down",
        [
            "Check interface status",
            "Check optical power",
            "Replace optical module",
            "Check peer port",
            "Record fault",
        ],
        [
            ("Physical layer up?", "Up", "Down", "Check cable and connectors"),
            ("Alarm cleared?", "Yes", "No", "Escalate to vendor support"),
        ],
    ),
    (
        "Configure VLAN",
        [
            "Create VLAN 10",
            "Set port link-type access",
            "Add port to VLAN 10",
            "Configure trunk uplink",
            "Save configuration",
        ],
        [("Trunk allows VLAN 10?", "Yes", "No", "Run port trunk allow-pass vlan 10")],
    ),
    (
        "BGP route selection",
        [
            "Receive route update",
            "Check next hop reachability",
            "Compare local preference",
            "Compare AS path length",
            "Install best route",
        ],
        [("Next hop reachable?", "Reachable", "Unreachable", "Mark route invalid")],
    ),
    (
        "Packet forwarding",
        [
            "Receive frame on ingress port",
            "Look up MAC table",
            "Look up FIB",
            "Apply ACL",
            "Forward on egress port",
        ],
        [
            ("Destination MAC known?", "Known", "Unknown", "Flood in VLAN"),
            ("ACL permit?", "Permit", "Deny", "Drop packet"),
        ],
    ),
    (
        "PDU session establishment",
        [
            "UE sends PDU Session Establishment Request",
            "AMF selects SMF",
            "SMF selects UPF",
            "SMF sends N4 Session Establishment",
            "Allocate UE IP address",
        ],
        [("Subscription allows DNN?", "Yes", "No", "Reject with cause 27")],
    ),
    (
        "Password recovery",
        [
            "Power on device",
            "Press Ctrl+B",
            "Enter BootROM menu",
            "Clear console password",
            "Reboot device",
        ],
        [("BootROM password known?", "Yes", "No", "Contact technical support")],
    ),
]

# -- signalling scenarios (sequence diagrams) ----------------------------------------------------
# participants, messages (source, target, label), optional (kind, label, start, end, else-label)
SCENARIOS = [
    (
        "TCP three-way handshake",
        ["Client", "Server"],
        [
            ("Client", "Server", "SYN seq=x"),
            ("Server", "Client", "SYN-ACK seq=y ack=x+1"),
            ("Client", "Server", "ACK ack=y+1"),
            ("Client", "Server", "FIN"),
            ("Server", "Client", "ACK"),
            ("Server", "Client", "FIN"),
            ("Client", "Server", "ACK"),
        ],
        [("opt", "connection teardown", 3, 7, "")],
    ),
    (
        "TLS 1.3 handshake",
        ["Client", "Server"],
        [
            ("Client", "Server", "ClientHello key_share"),
            ("Server", "Client", "ServerHello key_share"),
            ("Server", "Client", "EncryptedExtensions"),
            ("Server", "Client", "Certificate"),
            ("Server", "Client", "CertificateVerify"),
            ("Server", "Client", "Finished"),
            ("Client", "Server", "Finished"),
        ],
        [],
    ),
    (
        "DHCP DORA",
        ["DHCP Client", "DHCP Relay", "DHCP Server"],
        [
            ("DHCP Client", "DHCP Relay", "DHCPDISCOVER"),
            ("DHCP Relay", "DHCP Server", "DHCPDISCOVER giaddr"),
            ("DHCP Server", "DHCP Client", "DHCPOFFER"),
            ("DHCP Client", "DHCP Server", "DHCPREQUEST"),
            ("DHCP Server", "DHCP Client", "DHCPACK"),
            ("DHCP Server", "DHCP Client", "DHCPNAK"),
        ],
        [("alt", "address available", 4, 6, "pool exhausted")],
    ),
    (
        "5G registration",
        ["UE", "gNB", "AMF", "AUSF", "UDM"],
        [
            ("UE", "gNB", "RRC Setup Request"),
            ("gNB", "UE", "RRC Setup"),
            ("UE", "AMF", "Registration Request"),
            ("AMF", "AUSF", "Nausf_UEAuthentication_Authenticate"),
            ("AUSF", "UDM", "Nudm_UEAuthentication_Get"),
            ("AMF", "UE", "Authentication Request"),
            ("UE", "AMF", "Authentication Response"),
            ("AMF", "UE", "Security Mode Command"),
            ("UE", "AMF", "Security Mode Complete"),
            ("AMF", "UE", "Registration Accept"),
            ("UE", "AMF", "Registration Complete"),
        ],
        [("alt", "authentication succeeds", 5, 11, "")],
    ),
    (
        "LTE attach",
        ["UE", "eNodeB", "MME", "HSS", "SGW", "PGW"],
        [
            ("UE", "eNodeB", "Attach Request"),
            ("eNodeB", "MME", "Initial UE Message"),
            ("MME", "HSS", "Authentication Information Request"),
            ("HSS", "MME", "Authentication Information Answer"),
            ("MME", "UE", "Authentication Request"),
            ("UE", "MME", "Authentication Response"),
            ("MME", "HSS", "Update Location Request"),
            ("MME", "SGW", "Create Session Request"),
            ("SGW", "PGW", "Create Session Request"),
            ("PGW", "SGW", "Create Session Response"),
            ("SGW", "MME", "Create Session Response"),
            ("MME", "eNodeB", "Initial Context Setup Request"),
            ("UE", "MME", "Attach Complete"),
        ],
        [],
    ),
    (
        "PDU session establishment",
        ["UE", "AMF", "SMF", "UPF", "PCF"],
        [
            ("UE", "AMF", "PDU Session Establishment Request"),
            ("AMF", "SMF", "Nsmf_PDUSession_CreateSMContext Request"),
            ("SMF", "PCF", "Npcf_SMPolicyControl_Create"),
            ("SMF", "UPF", "N4 Session Establishment Request"),
            ("UPF", "SMF", "N4 Session Establishment Response"),
            ("SMF", "AMF", "Namf_Communication_N1N2MessageTransfer"),
            ("AMF", "UE", "PDU Session Establishment Accept"),
        ],
        [("opt", "dynamic PCC", 2, 3, "")],
    ),
    (
        "802.1X authentication",
        ["Supplicant", "Authenticator", "RADIUS Server"],
        [
            ("Supplicant", "Authenticator", "EAPOL-Start"),
            ("Authenticator", "Supplicant", "EAP-Request/Identity"),
            ("Supplicant", "Authenticator", "EAP-Response/Identity"),
            ("Authenticator", "RADIUS Server", "Access-Request"),
            ("RADIUS Server", "Authenticator", "Access-Challenge"),
            ("Authenticator", "Supplicant", "EAP-Request/MD5-Challenge"),
            ("Supplicant", "Authenticator", "EAP-Response/MD5-Challenge"),
            ("RADIUS Server", "Authenticator", "Access-Accept"),
            ("Authenticator", "Supplicant", "EAP-Success"),
        ],
        [("loop", "challenge exchange", 4, 7, "")],
    ),
    (
        "SIP call setup",
        ["Caller", "SIP Proxy", "Callee"],
        [
            ("Caller", "SIP Proxy", "INVITE"),
            ("SIP Proxy", "Caller", "100 Trying"),
            ("SIP Proxy", "Callee", "INVITE"),
            ("Callee", "Caller", "180 Ringing"),
            ("Callee", "Caller", "200 OK"),
            ("Caller", "Callee", "ACK"),
            ("Caller", "Callee", "BYE"),
            ("Callee", "Caller", "200 OK"),
        ],
        [],
    ),
    (
        "ARP resolution",
        ["Host A", "Switch", "Host B"],
        [
            ("Host A", "Switch", "ARP Request who-has 10.1.1.2"),
            ("Switch", "Host B", "ARP Request broadcast"),
            ("Host B", "Host A", "ARP Reply 10.1.1.2 is-at 00e0-fc12-3456"),
            ("Host A", "Host B", "ICMP Echo Request"),
            ("Host B", "Host A", "ICMP Echo Reply"),
        ],
        [("loop", "every second", 3, 5, "")],
    ),
]

# -- state machines ---------------------------------------------------------------------------
# (title, states, transitions (source, target, event), initial, final or None)
STATE_MACHINES = [
    (
        "TCP connection states",
        [
            "CLOSED",
            "LISTEN",
            "SYN_SENT",
            "SYN_RCVD",
            "ESTABLISHED",
            "FIN_WAIT_1",
            "FIN_WAIT_2",
            "CLOSE_WAIT",
            "LAST_ACK",
            "TIME_WAIT",
        ],
        [
            ("CLOSED", "LISTEN", "passive open"),
            ("CLOSED", "SYN_SENT", "active open / SYN"),
            ("LISTEN", "SYN_RCVD", "SYN / SYN+ACK"),
            ("SYN_SENT", "ESTABLISHED", "SYN+ACK / ACK"),
            ("SYN_RCVD", "ESTABLISHED", "ACK"),
            ("ESTABLISHED", "FIN_WAIT_1", "close / FIN"),
            ("ESTABLISHED", "CLOSE_WAIT", "FIN / ACK"),
            ("FIN_WAIT_1", "FIN_WAIT_2", "ACK"),
            ("FIN_WAIT_2", "TIME_WAIT", "FIN / ACK"),
            ("CLOSE_WAIT", "LAST_ACK", "close / FIN"),
            ("LAST_ACK", "CLOSED", "ACK"),
            ("TIME_WAIT", "CLOSED", "2MSL timeout"),
        ],
        "CLOSED",
        None,
    ),
    (
        "NR RRC states",
        ["RRC_IDLE", "RRC_CONNECTED", "RRC_INACTIVE"],
        [
            ("RRC_IDLE", "RRC_CONNECTED", "RRC Setup"),
            ("RRC_CONNECTED", "RRC_IDLE", "RRC Release"),
            ("RRC_CONNECTED", "RRC_INACTIVE", "Release with suspend"),
            ("RRC_INACTIVE", "RRC_CONNECTED", "RRC Resume"),
            ("RRC_INACTIVE", "RRC_IDLE", "RRC Release"),
        ],
        "RRC_IDLE",
        None,
    ),
    (
        "OSPF neighbor states",
        ["Down", "Init", "2-Way", "ExStart", "Exchange", "Loading", "Full"],
        [
            ("Down", "Init", "Hello received"),
            ("Init", "2-Way", "2-WayReceived"),
            ("2-Way", "ExStart", "AdjOK"),
            ("ExStart", "Exchange", "NegotiationDone"),
            ("Exchange", "Loading", "ExchangeDone"),
            ("Loading", "Full", "LoadingDone"),
            ("Exchange", "Full", "no LSAs to request"),
            ("Full", "Down", "InactivityTimer"),
        ],
        "Down",
        None,
    ),
    (
        "BGP finite state machine",
        ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"],
        [
            ("Idle", "Connect", "ManualStart"),
            ("Connect", "OpenSent", "TCP connection succeeds"),
            ("Connect", "Active", "ConnectRetryTimer expires"),
            ("Active", "OpenSent", "TCP connection succeeds"),
            ("OpenSent", "OpenConfirm", "OPEN received"),
            ("OpenConfirm", "Established", "KEEPALIVE received"),
            ("Established", "Idle", "NOTIFICATION"),
        ],
        "Idle",
        None,
    ),
    (
        "Interface link states",
        ["Admin Down", "Down", "Testing", "Up"],
        [
            ("Admin Down", "Down", "undo shutdown"),
            ("Down", "Up", "carrier detected"),
            ("Up", "Down", "carrier lost"),
            ("Down", "Testing", "loopback test"),
            ("Testing", "Down", "test finished"),
            ("Up", "Admin Down", "shutdown"),
        ],
        "Admin Down",
        "Admin Down",
    ),
    (
        "5GMM states",
        [
            "5GMM-DEREGISTERED",
            "5GMM-REGISTERED-INITIATED",
            "5GMM-REGISTERED",
            "5GMM-DEREGISTERED-INITIATED",
        ],
        [
            ("5GMM-DEREGISTERED", "5GMM-REGISTERED-INITIATED", "Registration Request sent"),
            ("5GMM-REGISTERED-INITIATED", "5GMM-REGISTERED", "Registration Accept"),
            ("5GMM-REGISTERED-INITIATED", "5GMM-DEREGISTERED", "Registration Reject"),
            ("5GMM-REGISTERED", "5GMM-DEREGISTERED-INITIATED", "Deregistration Request sent"),
            ("5GMM-DEREGISTERED-INITIATED", "5GMM-DEREGISTERED", "Deregistration Accept"),
        ],
        "5GMM-DEREGISTERED",
        None,
    ),
]

# -- packet formats -----------------------------------------------------------------------------
# (title, [(label, bits)])
PACKETS = [
    (
        "IPv4 header",
        [
            ("Version", 4),
            ("IHL", 4),
            ("DSCP", 6),
            ("ECN", 2),
            ("Total Length", 16),
            ("Identification", 16),
            ("Flags", 3),
            ("Fragment Offset", 13),
            ("TTL", 8),
            ("Protocol", 8),
            ("Header Checksum", 16),
            ("Source Address", 32),
            ("Destination Address", 32),
        ],
    ),
    (
        "TCP header",
        [
            ("Source Port", 16),
            ("Destination Port", 16),
            ("Sequence Number", 32),
            ("Acknowledgment Number", 32),
            ("Data Offset", 4),
            ("Reserved", 4),
            ("Flags", 8),
            ("Window", 16),
            ("Checksum", 16),
            ("Urgent Pointer", 16),
        ],
    ),
    (
        "UDP header",
        [("Source Port", 16), ("Destination Port", 16), ("Length", 16), ("Checksum", 16)],
    ),
    ("VXLAN header", [("Flags", 8), ("Reserved", 24), ("VNI", 24), ("Reserved2", 8)]),
    (
        "GTP-U header",
        [
            ("Version", 3),
            ("PT", 1),
            ("Spare", 1),
            ("E", 1),
            ("S", 1),
            ("PN", 1),
            ("Message Type", 8),
            ("Length", 16),
            ("TEID", 32),
        ],
    ),
    ("MPLS label stack entry", [("Label", 20), ("TC", 3), ("S", 1), ("TTL", 8)]),
    ("802.1Q tag", [("TPID", 16), ("PCP", 3), ("DEI", 1), ("VID", 12)]),
    (
        "GRE header",
        [
            ("C", 1),
            ("Reserved0", 12),
            ("Ver", 3),
            ("Protocol Type", 16),
            ("Checksum", 16),
            ("Reserved1", 16),
        ],
    ),
    (
        "IPv6 header",
        [
            ("Version", 4),
            ("Traffic Class", 8),
            ("Flow Label", 20),
            ("Payload Length", 16),
            ("Next Header", 8),
            ("Hop Limit", 8),
            ("Source Address", 128),
            ("Destination Address", 128),
        ],
    ),
    (
        "ICMP header",
        [("Type", 8), ("Code", 8), ("Checksum", 16), ("Identifier", 16), ("Sequence Number", 16)],
    ),
]

# -- architecture blocks ----------------------------------------------------------------------
# (title, groups {group label: [members]}, edges (a, b, label))
ARCHITECTURES = [
    (
        "5G core service-based architecture",
        {
            "Control Plane": ["AMF", "SMF", "AUSF", "UDM", "PCF", "NRF"],
            "User Plane": ["UPF", "DN"],
            "Access Network": ["UE", "gNB"],
        },
        [
            ("UE", "AMF", "N1"),
            ("gNB", "AMF", "N2"),
            ("gNB", "UPF", "N3"),
            ("SMF", "UPF", "N4"),
            ("UPF", "DN", "N6"),
            ("AMF", "SMF", "N11"),
            ("AMF", "AUSF", "N12"),
            ("AMF", "UDM", "N8"),
            ("SMF", "PCF", "N7"),
            ("UE", "gNB", "Uu"),
            ("AMF", "NRF", "Nnrf"),
        ],
    ),
    (
        "EPC architecture",
        {
            "E-UTRAN": ["UE", "eNodeB"],
            "EPC": ["MME", "SGW", "PGW", "HSS", "PCRF"],
            "External": ["PDN"],
        },
        [
            ("UE", "eNodeB", "LTE-Uu"),
            ("eNodeB", "MME", "S1-MME"),
            ("eNodeB", "SGW", "S1-U"),
            ("MME", "SGW", "S11"),
            ("MME", "HSS", "S6a"),
            ("SGW", "PGW", "S5"),
            ("PGW", "PCRF", "Gx"),
            ("PGW", "PDN", "SGi"),
        ],
    ),
    (
        "SDN controller architecture",
        {
            "Application Layer": ["Orchestrator", "Network Analytics"],
            "Control Layer": ["SDN Controller"],
            "Infrastructure Layer": ["Spine Switch", "Leaf Switch 1", "Leaf Switch 2"],
        },
        [
            ("Orchestrator", "SDN Controller", "REST northbound API"),
            ("Network Analytics", "SDN Controller", "gRPC telemetry"),
            ("SDN Controller", "Spine Switch", "NETCONF"),
            ("SDN Controller", "Leaf Switch 1", "OpenFlow"),
            ("SDN Controller", "Leaf Switch 2", "OpenFlow"),
            ("Spine Switch", "Leaf Switch 1", "VXLAN"),
            ("Spine Switch", "Leaf Switch 2", "VXLAN"),
        ],
    ),
    (
        "Network management system",
        {
            "OSS": ["NMS Server", "Alarm Console", "Performance DB"],
            "Managed Network": ["Router A", "Switch B", "Firewall C"],
        },
        [
            ("NMS Server", "Router A", "SNMPv3"),
            ("NMS Server", "Switch B", "SNMPv3"),
            ("NMS Server", "Firewall C", "NETCONF/YANG"),
            ("Router A", "NMS Server", "Syslog"),
            ("NMS Server", "Alarm Console", "alarms"),
            ("NMS Server", "Performance DB", "KPIs"),
        ],
    ),
    (
        "IMS architecture",
        {
            "IMS Core": ["P-CSCF", "I-CSCF", "S-CSCF", "HSS"],
            "Services": ["TAS", "MRF"],
            "Access": ["UE", "PGW"],
        },
        [
            ("UE", "PGW", "SGi"),
            ("PGW", "P-CSCF", "Gm"),
            ("P-CSCF", "I-CSCF", "Mw"),
            ("I-CSCF", "S-CSCF", "Mw"),
            ("S-CSCF", "HSS", "Cx"),
            ("I-CSCF", "HSS", "Cx"),
            ("S-CSCF", "TAS", "ISC"),
            ("S-CSCF", "MRF", "Mr"),
        ],
    ),
]

STYLE_FILLS = ["#e3f2fd", "#fff3e0", "#e8f5e9", "#fce4ec", "#ede7f6", "#f1f8e9", "#fffde7"]
STYLE_STROKES = ["#1565c0", "#ef6c00", "#2e7d32", "#ad1457", "#4527a0", "#37474f"]
THEMES = ["default", "neutral", "forest", "base", "dark"]
THEME_WEIGHTS = [5, 4, 2, 2, 1]
