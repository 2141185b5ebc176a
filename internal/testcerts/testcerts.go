// Package testcerts makes a throwaway CA with a server and a client
// certificate, for tests of TLS between the CLI and agents.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Set is a CA and two certificates it signed, valid for localhost and
// 127.0.0.1 for an hour.
type Set struct {
	Pool           *x509.CertPool
	Server, Client tls.Certificate
	// Files, once Write has been called: PEM files of each.
	CAFile, ServerCert, ServerKey, ClientCert, ClientKey string

	caDER []byte
}

// New makes a Set. It panics on failure, which only a broken crypto/rand
// can cause.
func New() *Set {
	caKey := key()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jstrace test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		panic(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	s := &Set{Pool: x509.NewCertPool(), caDER: caDER}
	s.Pool.AddCert(ca)
	s.Server = leaf(ca, caKey, 2, x509.ExtKeyUsageServerAuth)
	s.Client = leaf(ca, caKey, 3, x509.ExtKeyUsageClientAuth)
	return s
}

func key() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, serial int64, usage x509.ExtKeyUsage) tls.Certificate {
	k := key()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

// Write writes the PEM files into dir and records their paths.
func (s *Set) Write(dir string) error {
	write := func(name, typ string, der []byte) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
	}
	keyDER := func(c tls.Certificate) []byte {
		b, _ := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
		return b
	}
	var err error
	for _, f := range []struct {
		path      *string
		name, typ string
		der       []byte
	}{
		{&s.CAFile, "ca.pem", "CERTIFICATE", s.caDER},
		{&s.ServerCert, "server.pem", "CERTIFICATE", s.Server.Certificate[0]},
		{&s.ServerKey, "server-key.pem", "EC PRIVATE KEY", keyDER(s.Server)},
		{&s.ClientCert, "client.pem", "CERTIFICATE", s.Client.Certificate[0]},
		{&s.ClientKey, "client-key.pem", "EC PRIVATE KEY", keyDER(s.Client)},
	} {
		if *f.path, err = write(f.name, f.typ, f.der); err != nil {
			return err
		}
	}
	return nil
}
