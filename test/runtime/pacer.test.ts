import { expect } from 'chai';
import { Pacer, PacerPerObject } from '../../src/runtime/pacer.ts';

describe('Pacer', function () {
  /** A clock the test moves: each pass takes `passMs` of it. */
  const clocked = (share: number, maxWaitMs = 60_000) => {
    let now = 1_000;
    const pacer = new Pacer(share, maxWaitMs, () => now);
    return {
      pacer,
      pass: (passMs: number) => pacer.run(() => { now += passMs; return passMs; }),
      wait: (ms: number) => { now += ms; },
    };
  };

  it('lets the first pass run at once', function () {
    expect(new Pacer(0.01, 10_000).waitMs()).to.equal(0);
  });

  it('spaces passes so that they take the share: 30 ms at 1 % waits 3 s from its start', function () {
    const { pacer, pass, wait } = clocked(0.01);
    expect(pass(30)).to.equal(30);
    expect(pacer.waitMs()).to.equal(2_970);
    wait(2_000);
    expect(pacer.waitMs()).to.equal(970);
    wait(970);
    expect(pacer.waitMs()).to.equal(0);
  });

  it('follows the last pass: a cheaper one shortens the wait, a dearer one lengthens it', function () {
    const { pacer, pass, wait } = clocked(0.1);
    pass(50);
    wait(450);
    pass(5);
    expect(pacer.waitMs()).to.equal(45);
    wait(45);
    pass(200);
    expect(pacer.waitMs()).to.equal(1_800);
  });

  it('waits no longer than its most after a pass slowed down, and in whole milliseconds, never under the time left', function () {
    const { pacer, pass, wait } = clocked(0.01, 10_000);
    pass(300);
    expect(pacer.waitMs()).to.equal(9_700);
    wait(9_699.4);
    expect(pacer.waitMs()).to.equal(1);
  });

  it('runs a pass only when it is due, and otherwise says how long until it is, timing the pass it ran', function () {
    const { pacer, pass, wait } = clocked(0.01);
    pass(20);
    let ran = 0;
    const due = () => pacer.runWhenDue(() => { wait(40); return ++ran; });
    expect(due()).to.deep.equal({ ran: false, waitMs: 1_980 });
    expect(ran).to.equal(0);
    wait(1_980);
    expect(due()).to.deep.equal({ ran: true, value: 1 });
    expect(pacer.waitMs()).to.equal(3_960);
  });

  it('counts a pass that throws', function () {
    let now = 0;
    const pacer = new Pacer(0.5, 10_000, () => now);
    expect(() => pacer.run(() => { now += 10; throw new Error('no'); })).to.throw('no');
    expect(pacer.waitMs()).to.equal(10);
  });

  it('refuses a share that is not a fraction of a core', function () {
    for (const share of [0, -1, 1.5, Number.NaN]) expect(() => new Pacer(share, 10_000)).to.throw(/not in \(0, 1\]/);
  });
});

describe('PacerPerObject', function () {
  it('keeps one pacer per object, a new one for an object made again under its name, and none once it is forgotten', function () {
    const pacers = new PacerPerObject(0.01, 10_000);
    const first = pacers.of({ name: 'b', uid: 'u1' });
    expect(pacers.of({ name: 'b', uid: 'u1' })).to.equal(first);
    expect(pacers.of({ name: 'other', uid: 'u3' })).to.not.equal(first);
    const remade = pacers.of({ name: 'b', uid: 'u2' });
    expect(remade).to.not.equal(first);
    pacers.forget('b');
    expect(pacers.of({ name: 'b', uid: 'u2' })).to.not.equal(remade);
  });
});
