package guard

import (
	"errors"

	"github.com/jstrace-go/jstrace/internal/printable"
)

// CheckErrors panics, in the script, if err's tree is too deep or large
// for errors.Is and fmt (see printable.ErrorSize). Every error tree a
// script holds was made by errors.Join or fmt.Errorf, which check theirs:
// so the bounds hold for all.
func CheckErrors(err error) {
	if _, e := printable.ErrorSize(err); e != nil {
		panic("errors: error tree " + e.Error())
	}
}

// JoinErrors is errors.Join with CheckErrors.
func JoinErrors(errs ...error) error {
	err := errors.Join(errs...)
	CheckErrors(err)
	return err
}
