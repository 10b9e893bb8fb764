"""The console's rules: pure, no I/O, no clock (instants and days are arguments).

index         what the event index keeps of each event (a summary with no personal data)
story         a claim told by its events: steps with their durations, status, what it waits for
sla           the payment deadline in working days, and how near each claim is to it
lag           a consumer group's lag per topic from committed and end offsets
dead_letters  what a dead letter's headers say, and the headers a replay sends
quarantine    what the services' outboxes set aside, and the flows headline it makes
charts        geometry of the server-drawn SVG: rate bars and the pipeline diagram
"""
