package explorer

import "time"

// WithRetentionInterval sets how often retention runs, for tests.
func WithRetentionInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.retainEvery = d })
}
