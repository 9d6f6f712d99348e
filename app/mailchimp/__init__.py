"""Everything that speaks to Mailchimp, and the offline sandbox that stands in for it."""
