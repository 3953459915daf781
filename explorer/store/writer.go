package store

// writer is the single goroutine writing to the database. It commits the
// requests waiting at the same time in one transaction (group commit), so
// concurrent exporters share the cost of a sync.
func (s *Store) writer() {
	defer close(s.writerEnd)
	defer close(s.synced)
	for {
		var first *writeReq
		select {
		case first = <-s.reqs:
			if s.writeHook != nil {
				s.writeHook()
			}
		case <-s.closing:
			// Ingest cannot send any more (closed is set); finish what is queued.
			for {
				select {
				case r := <-s.reqs:
					if r.job != nil {
						s.runJob(r)
						continue
					}
					s.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
		if first.job != nil {
			s.runJob(first)
			continue
		}
		batch := []*writeReq{first}
		n := first.n
		var job *writeReq // a job queued behind the batch runs after it
	drain:
		for n < s.cfg.maxBatch {
			select {
			case r := <-s.reqs:
				if r.job != nil {
					job = r
					break drain
				}
				batch = append(batch, r)
				n += r.n
			default:
				break drain
			}
		}
		s.commit(batch)
		if job != nil {
			s.runJob(job)
		}
	}
}

func (s *Store) commit(batch []*writeReq) {
	err := s.write(batch)
	if err != nil {
		s.cfg.logger.Error("traceai explorer: storing spans failed", "err", err)
	}
	if err == nil && s.syncWAL {
		s.synced <- batch
	} else {
		for _, r := range batch {
			r.done <- err
		}
	}
	select {
	case s.commits <- struct{}{}:
	default:
	}
}
