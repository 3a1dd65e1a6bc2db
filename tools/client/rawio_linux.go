package client

import (
	"syscall"
	"unsafe"
)

// sysRead and sysWrite are read(2) and write(2) on a non-blocking socket, called without telling the Go scheduler
// (syscall.RawSyscall): they never block, and a thousand clients in one process make tens of thousands of them a
// second. Through syscall.Read and syscall.Write each would mark its processor as in a system call, and the
// runtime's monitor, seeing it there twice in a row, hands the processor to another thread: a wake-up and a context
// switch each time, and a monitor that keeps polling every 20 µs instead of backing off.
func sysRead(fd int, p []byte) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(r), e
}

func sysWrite(fd int, p []byte) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(r), e
}
