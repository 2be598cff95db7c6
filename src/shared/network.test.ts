import { describe, expect, it } from 'vitest';
import { isPrivateAddress, isPrivateHostName } from './network.js';

describe('isPrivateAddress', () => {
  it.each([
    ['10.1.2.3', true], ['127.0.0.1', true], ['169.254.169.254', true], ['172.31.0.1', true], ['172.32.0.1', false], ['192.168.1.1', true],
    ['100.64.0.1', true], ['198.18.0.1', true], ['224.0.0.1', true], ['255.255.255.255', true], ['0.0.0.0', true], ['8.8.8.8', false], ['93.184.216.34', false],
  ])('IPv4 %s → %s', (ip, want) => expect(isPrivateAddress(ip)).toBe(want));

  it.each([
    ['::1', true], ['::', true], ['fe80::1', true], ['fe90::1', true], ['febf::1', true], ['fec0::1', true], ['fc00::1', true], ['fd12::1', true],
    ['::ffff:10.0.0.1', true], ['::ffff:8.8.8.8', true], ['::7f00:1', true], ['64:ff9b::a9fe:a9fe', true], ['2002:a9fe:a9fe::1', true], ['2001:0:4136::1', true],
    ['2001:db8::1', true], ['ff02::1', true], ['[::1]', true], ['2001:4860:4860::8888', false], ['2606:4700::1111', false],
  ])('IPv6 %s → %s', (ip, want) => expect(isPrivateAddress(ip)).toBe(want));

  it('judges names as written', () => {
    expect(isPrivateHostName('localhost.')).toBe(true);
    expect(isPrivateHostName('metadata.google.internal')).toBe(true);
    expect(isPrivateHostName('[fe80::1]')).toBe(true);
    expect(isPrivateHostName('api.example.com')).toBe(false);
  });
});
