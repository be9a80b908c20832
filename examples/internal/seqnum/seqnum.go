// Package seqnum orders Kinesis sequence numbers, which the consumer and
// the Lambda handler use to skip records they have already seen.
package seqnum

import "strings"

// Less reports whether Kinesis sequence number a comes before b. Sequence
// numbers are decimal strings of up to 128 digits, too long for an integer:
// a shorter one (leading zeros aside) is smaller, and equal lengths compare
// as strings.
func Less(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
