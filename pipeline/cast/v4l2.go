package cast

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"
)

// V4L2 capability bits (linux/videodev2.h).
const (
	v4l2CapVideoCapture = 0x00000001
	v4l2CapVideoOutput  = 0x00000002
	v4l2CapDeviceCaps   = 0x80000000
	// vidiocQueryCap is _IOR('V', 0, struct v4l2_capability).
	vidiocQueryCap = 0x80685600
)

// v4l2Capability is struct v4l2_capability.
type v4l2Capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

// V4L2Device describes a V4L2 device node.
type V4L2Device struct {
	Path, Driver, Card string
	Capture, Output    bool
}

// LoopbackHelp says how to create a virtual camera.
const LoopbackHelp = "load v4l2loopback, e.g. `sudo modprobe v4l2loopback video_nr=10 card_label=nedcast exclusive_caps=1` " +
	"(exclusive_caps=1 makes browsers list it as a camera), then use --vcam /dev/video10"

// QueryV4L2 opens path and asks the driver what it is (VIDIOC_QUERYCAP).
func QueryV4L2(path string) (V4L2Device, error) {
	st, err := os.Stat(path)
	if err != nil {
		return V4L2Device{}, fmt.Errorf("%s: no such device", path)
	}
	if st.Mode()&os.ModeCharDevice == 0 {
		return V4L2Device{}, fmt.Errorf("%s: not a device node (a V4L2 device is a character device such as /dev/video0)", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		return V4L2Device{}, fmt.Errorf("%s: cannot open it: %v (are you in the video group?)", path, unwrapPathError(err))
	}
	defer f.Close()
	var c v4l2Capability
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), vidiocQueryCap, uintptr(unsafe.Pointer(&c))); errno != 0 {
		return V4L2Device{}, fmt.Errorf("%s: not a V4L2 device (VIDIOC_QUERYCAP: %v)", path, errno)
	}
	caps := c.Capabilities
	if caps&v4l2CapDeviceCaps != 0 {
		caps = c.DeviceCaps
	}
	cstr := func(b []byte) string { return strings.TrimRight(string(b), "\x00") }
	return V4L2Device{Path: path, Driver: cstr(c.Driver[:]), Card: cstr(c.Card[:]),
		Capture: caps&v4l2CapVideoCapture != 0, Output: caps&v4l2CapVideoOutput != 0}, nil
}

// CheckVCam checks that path is a V4L2 video output device (what a
// v4l2loopback device is), with what to do when it is not.
func CheckVCam(path string) error {
	d, err := QueryV4L2(path)
	if err != nil {
		return fmt.Errorf("vcam %v; %s", err, LoopbackHelp)
	}
	if !d.Output {
		return fmt.Errorf("vcam %s (%s, %s) is not a video output device: a virtual camera needs a v4l2loopback device; %s", path, d.Driver, d.Card, LoopbackHelp)
	}
	return nil
}

// CheckCamera checks that path is a V4L2 capture device.
func CheckCamera(path string) error {
	d, err := QueryV4L2(path)
	if err != nil {
		return fmt.Errorf("input %v (list cameras with `v4l2-ctl --list-devices`)", err)
	}
	if !d.Capture {
		return fmt.Errorf("input %s (%s, %s) cannot capture video (is it an output such as a v4l2loopback device nobody writes to?)", path, d.Driver, d.Card)
	}
	return nil
}

// LoopbackDevices lists the v4l2loopback devices the kernel has (from
// /sys), and whether the module is loaded at all.
func LoopbackDevices() (loaded bool, devices []string) {
	if _, err := os.Stat("/sys/module/v4l2loopback"); err == nil {
		loaded = true
	}
	dirs, _ := filepath.Glob("/sys/class/video4linux/video*")
	for _, d := range dirs {
		drv, err := os.Readlink(filepath.Join(d, "device", "driver"))
		name, _ := os.ReadFile(filepath.Join(d, "name"))
		if (err == nil && strings.Contains(drv, "v4l2loopback")) || strings.Contains(strings.ToLower(string(name)), "loopback") {
			devices = append(devices, "/dev/"+filepath.Base(d))
		}
	}
	return loaded, devices
}
