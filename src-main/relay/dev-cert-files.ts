// File names of the development certificate in a data directory. Kept apart from certs.ts so
// the desktop app can name the file without loading the X.509 library.

export const DEV_CERT_FILE = 'relay-cert.pem';
export const DEV_KEY_FILE = 'relay-key.pem';
