// Vitest setup file: no test may reach the network; loopback stays open for the
// app's own HTTP server and the test PostgreSQL (which nock never sees anyway).
import nock from 'nock';

nock.disableNetConnect();
nock.enableNetConnect(/(127\.0\.0\.1|localhost)/);
