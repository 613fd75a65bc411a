"""The calculator: a profile and a date in; which measures apply, how much, why, and what is missing."""
