package peer

import (
	"fmt"
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// API creates PeerConnections that share one media engine, one setting
// engine and, in single-port mode, one UDP socket.
type API struct {
	api    *webrtc.API
	config webrtc.Configuration
	mux    ice.UDPMux
	conn   net.PacketConn
}

// NewAPI validates o and builds the pion API. Close releases the UDP socket
// of single-port mode.
func NewAPI(o Options) (*API, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, fmt.Errorf("register codecs: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, fmt.Errorf("register interceptors: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	if o.DisconnectedTimeout > 0 || o.FailedTimeout > 0 || o.KeepaliveInterval > 0 {
		d, f, k := o.DisconnectedTimeout, o.FailedTimeout, o.KeepaliveInterval
		if d == 0 {
			d = 5e9
		}
		if f == 0 {
			f = 25e9
		}
		if k == 0 {
			k = 2e9
		}
		se.SetICETimeouts(d, f, k)
	}
	if o.IncludeLoopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	}
	if len(o.NAT1To1IPs) > 0 {
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        append([]string(nil), o.NAT1To1IPs...),
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			return nil, fmt.Errorf("nat 1:1 ips: %w", err)
		}
	}
	a := &API{}
	if o.UDPMuxAddr != "" {
		ua, err := resolveUDP(o.UDPMuxAddr)
		if err != nil {
			return nil, fmt.Errorf("udp mux address %q: %w", o.UDPMuxAddr, err)
		}
		conn, err := net.ListenUDP("udp", ua)
		if err != nil {
			return nil, fmt.Errorf("listen udp mux %s: %w", o.UDPMuxAddr, err)
		}
		a.conn = conn
		a.mux = webrtc.NewICEUDPMux(nil, conn)
		se.SetICEUDPMux(a.mux)
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	}
	a.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	for _, s := range o.ICEServers {
		is := webrtc.ICEServer{URLs: append([]string(nil), s.URLs...), Username: s.Username}
		if s.Credential != "" {
			is.Credential = s.Credential
		}
		a.config.ICEServers = append(a.config.ICEServers, is)
	}
	return a, nil
}

// NewPeerConnection returns a PeerConnection with the configured ICE servers.
func (a *API) NewPeerConnection() (*webrtc.PeerConnection, error) {
	pc, err := a.api.NewPeerConnection(a.config)
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	return pc, nil
}

// UDPMuxAddr is the local address of the single-port UDP socket, or nil
// when every PeerConnection uses its own ephemeral ports.
func (a *API) UDPMuxAddr() net.Addr {
	if a.conn == nil {
		return nil
	}
	return a.conn.LocalAddr()
}

// Close releases the single-port UDP socket; PeerConnections using it stop
// receiving.
func (a *API) Close() error {
	if a.mux == nil {
		return nil
	}
	if err := a.mux.Close(); err != nil {
		return fmt.Errorf("close udp mux: %w", err)
	}
	return nil
}
