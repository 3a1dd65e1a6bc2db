package client

import (
	"net"
	"syscall"
)

// DialerFrom returns a net.Dialer whose connections come from source address ip (nil: the system's choice). On
// Linux the port is chosen at connect time (IP_BIND_ADDRESS_NO_PORT), by the whole address pair: binding first
// would pick from the ports free for every destination, which thousands of connections in TIME_WAIT make slow and
// then exhaust.
func DialerFrom(ip net.IP) *net.Dialer {
	if ip == nil {
		return &net.Dialer{}
	}
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip},
		Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = bindNoPort(fd) }); err != nil {
				return err
			}
			return serr
		}}
}

// SourceIP returns the i-th address of 127.0.0.0/8 from base (127.a.b.c + i), skipping addresses whose last byte
// is 0 or 255: the loopback source addresses of a load run's clients.
func SourceIP(base net.IP, i int) net.IP {
	b := base.To4()
	if b == nil {
		b = net.IPv4(127, 1, 0, 1).To4()
	}
	n := uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	for step := 0; step <= i; {
		if last := byte(n); last != 0 && last != 255 {
			step++
			if step > i {
				break
			}
		}
		n++
	}
	return net.IPv4(127, byte(n>>16), byte(n>>8), byte(n))
}
