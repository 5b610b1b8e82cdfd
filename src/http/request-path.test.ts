import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestPath } from './request-path.js';

test('requestPath keeps the path and drops the query and fragment', () => {
  assert.equal(requestPath('/slow?ms=20000&token=x'), '/slow');
  assert.equal(requestPath('/a/b#frag?x'), '/a/b');
  assert.equal(requestPath('/plain'), '/plain');
  assert.equal(requestPath('/?q'), '/');
  assert.equal(requestPath('*'), '*');
});

test('requestPath drops the scheme, credentials and host of an absolute-form target', () => {
  assert.equal(requestPath('http://user:pass@example.com/report?token=x'), '/report');
  assert.equal(requestPath('https://example.com'), '/');
  assert.equal(requestPath('http://user:pass@example.com?token=/x'), '/');
  assert.equal(requestPath('http://example.com:8080/a/b'), '/a/b');
});
