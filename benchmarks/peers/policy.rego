# Peer-benchmark policy (benchmarks/bench_peers.py); the same policy as policy.ord.
# Default deny: allow is false unless a rule below makes it true.
package peers

default allow := false

personal_information := {"home_address", "work_address"}

# Cal. Civ. Code § 1798.90.55(b): ALPR information only to another public agency.
allow if {
	input.data == "alpr"
	input.requester.kind in {"ca_law_enforcement", "ca_public_agency"}
}

# Cal. Gov. Code § 7284.6(a)(1)(D): no personal information for immigration
# enforcement unless it is available to the public.
allow if {
	input.data in personal_information
	input.purpose != "immigration_enforcement"
}

allow if {
	input.data in personal_information
	input.data_public == true
}

# Cal. Gov. Code § 7284.6(a)(1)(C): release dates, but not to immigration authorities ...
allow if {
	input.data == "release_date"
	input.requester.kind != "federal_immigration"
}

# ... unless a notification request meets a ground of § 7282.5(a)(1)-(5), and not
# for a Proposition 47 misdemeanor (§ 7282.5(a)(6)).
allow if {
	input.data == "release_date"
	input.legal_process == "notification_request"
	ground_7282_5
	input.subject.prop47_reduced_misdemeanor == false
}

ground_7282_5 if input.subject.serious_or_violent_felony_conviction == true

ground_7282_5 if input.subject.state_prison_felony_conviction == true

ground_7282_5 if input.subject.listed_offense_conviction_in_window == true

ground_7282_5 if input.subject.sex_or_arson_registrant == true

ground_7282_5 if input.subject.federal_aggravated_felony_or_felony_warrant == true

# Cal. Gov. Code § 7284.6(e): immigration status may be exchanged.
allow if input.data == "immigration_status"
