package agent

import (
	"testing"
	"time"
)

// A dump's slot taken while the previous dump is giving it back is
// waited for: a CLI that read a dump's last frame and asks again at once
// is not told the agent is busy (CI once saw that race).
func TestTakeWaitsForARelease(t *testing.T) {
	slot, ending := make(chan struct{}, 1), make(chan struct{})
	first, ok := take(slot, time.Second, ending)
	if !ok {
		t.Fatal("a free slot was refused")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		first()
	}()
	second, ok := take(slot, time.Minute, ending)
	if !ok {
		t.Fatal("the slot given back was not taken")
	}
	second()
	second() // once only: a second call must not block or free another's slot
	if third, ok := take(slot, 0, ending); !ok {
		t.Fatal("the slot was not free after its release")
	} else {
		third()
	}
}

func TestTakeGivesUp(t *testing.T) {
	t.Run("wait", func(t *testing.T) {
		slot := make(chan struct{}, 1)
		held, _ := take(slot, 0, nil)
		defer held()
		start := time.Now()
		if _, ok := take(slot, 30*time.Millisecond, nil); ok {
			t.Fatal("a held slot was taken")
		}
		if d := time.Since(start); d < 30*time.Millisecond {
			t.Fatalf("gave up after %v, before the wait", d)
		}
	})
	t.Run("ending", func(t *testing.T) {
		slot, ending := make(chan struct{}, 1), make(chan struct{})
		held, _ := take(slot, 0, ending)
		defer held()
		close(ending)
		done := make(chan bool)
		go func() {
			_, ok := take(slot, time.Hour, ending)
			done <- ok
		}()
		select {
		case ok := <-done:
			if ok {
				t.Fatal("a held slot was taken")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("an ending agent kept a dump waiting for its slot")
		}
	})
}
