package agent

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/jstrace-go/jstrace"
	"github.com/jstrace-go/jstrace/internal/match"
	"github.com/jstrace-go/jstrace/internal/protocol"
)

// probeListBytes is about the most a ProbeList frame carries; the
// catalogue goes in as many as it takes.
const probeListBytes = 512 << 10

// probes answers a ProbesRequest on the control stream: it subscribes to
// the matching probes for the window (each then costs what an enabled
// probe costs, plus a count), and sends every matching registered probe
// with its hits and the fields seen. One runs at a time (another CLI waits
// for the slot up to slotWait, then is told the agent is busy); a dump may
// run meanwhile. handshake gives back the connection's handshake slot; it
// is called once the listing holds its own.
func (a *Agent) probes(fw *protocol.FrameWriter, fr *protocol.FrameReader, ctl *yamux.Stream, payload []byte, handshake func()) error {
	ctl.SetReadDeadline(time.Time{})
	var req protocol.ProbesRequest
	if err := req.Decode(payload); err != nil {
		refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeProtocol, Message: err.Error()})
		return err
	}
	want := func(string) bool { return true }
	if len(req.Patterns) > 0 {
		set, err := match.Compile(req.Patterns...)
		if err != nil {
			refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeProtocol, Message: err.Error()})
			return nil
		}
		want = set.Match
	}
	release, ok := take(a.lists, slotWait, a.ending) // given back once written, as a dump's
	if !ok {
		refuse(fw, fr, ctl, &protocol.Error{Code: protocol.CodeBusy, Message: "another probe listing is under way"})
		return nil
	}
	handshake()
	defer release()
	s := newSampler(jstrace.Probes())
	start := time.Now()
	if req.Window > 0 {
		// The CLI sends nothing until it closes: a read that ends means it
		// went away (Ctrl-C), and the probes need not stay enabled for a
		// window nobody will read.
		gone := make(chan struct{})
		go func() {
			defer close(gone)
			fr.ReadFrame()
		}()
		sub := jstrace.SubscribeFunc(want, s.event)
		t := time.NewTimer(req.Window)
		left := false
		select {
		case <-t.C:
		case <-a.ending:
		case <-gone:
			left = true
		}
		t.Stop()
		sub.Close()
		ctl.SetReadDeadline(time.Now()) // ends the read
		<-gone
		if left {
			return nil
		}
	}
	window := time.Since(start).Truncate(time.Millisecond)
	var list []protocol.ProbeInfo
	size := 0
	ctl.SetWriteDeadline(time.Now().Add(dumpTimeout))
	for _, name := range jstrace.Probes() {
		if !want(name) {
			continue
		}
		info := s.info(name)
		list = append(list, info)
		size += len(info.Name) + 16
		for _, f := range info.Fields {
			size += len(f.Name) + 4
		}
		if size >= probeListBytes {
			if err := fw.Send(protocol.FrameProbeList, &protocol.ProbeList{Window: window, Probes: list, More: true}); err != nil {
				return err
			}
			list, size = list[:0], 0
		}
	}
	if err := fw.Send(protocol.FrameProbeList, &protocol.ProbeList{Window: window, Probes: list}); err != nil {
		return err
	}
	release()
	awaitClose(fr, ctl)
	return nil
}

// sampler counts the events of each probe and notes the fields of some of
// them: the first sampleFirst, then one in sampleFieldsOne. It is safe for
// concurrent use: probes fire on any goroutine. Its map is filled with the
// probes registered when the window starts, and copied on write for those
// registered during it, so that an event costs a lookup and an atomic
// add, no lock and no allocation.
type sampler struct {
	probes atomic.Pointer[map[string]*probeSample]
	mu     sync.Mutex // serializes writers of probes
}

const (
	sampleFirst     = 16
	sampleFieldsOne = 256
)

type probeSample struct {
	hits   atomic.Uint64
	mu     sync.Mutex
	fields []protocol.ProbeField
}

func newSampler(names []string) *sampler {
	m := make(map[string]*probeSample, len(names))
	for _, n := range names {
		m[n] = &probeSample{}
	}
	s := &sampler{}
	s.probes.Store(&m)
	return s
}

// get returns the sample of a probe, adding it if new.
func (s *sampler) get(name string) *probeSample {
	if p := (*s.probes.Load())[name]; p != nil {
		return p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.probes.Load()
	if p := old[name]; p != nil {
		return p
	}
	m := make(map[string]*probeSample, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	p := &probeSample{}
	m[name] = p
	s.probes.Store(&m)
	return p
}

// event runs on the goroutine that fires the probe.
func (s *sampler) event(e jstrace.Event) {
	p := s.get(e.Name())
	n := p.hits.Add(1)
	if n > sampleFirst && n%sampleFieldsOne != 0 {
		return
	}
	rec, err := protocol.ParseRecord(e.Record())
	if err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for f := rec.Fields; len(f) > 0; {
		key, val, rest, err := protocol.NextField(f)
		if err != nil || len(val) == 0 {
			return
		}
		f = rest
		p.note(key, val[0])
	}
}

// note adds kind to the field key; the caller holds mu.
func (p *probeSample) note(key []byte, kind byte) {
	key = key[:min(len(key), protocol.MaxProbeNameLen)]
	i := slices.IndexFunc(p.fields, func(f protocol.ProbeField) bool { return f.Name == string(key) })
	if i < 0 {
		if len(p.fields) >= protocol.MaxProbeFields {
			return
		}
		p.fields = append(p.fields, protocol.ProbeField{Name: string(key)})
		i = len(p.fields) - 1
	}
	p.fields[i].Kinds |= 1 << (kind & 63)
}

// info returns what the window saw of a probe.
func (s *sampler) info(name string) protocol.ProbeInfo {
	info := protocol.ProbeInfo{Name: name[:min(len(name), protocol.MaxProbeNameLen)]}
	if p := (*s.probes.Load())[name]; p != nil {
		info.Hits = p.hits.Load()
		p.mu.Lock()
		info.Fields = slices.Clone(p.fields)
		p.mu.Unlock()
	}
	return info
}
