import { describe, expect, it } from 'vitest';
import { JobEta } from './jobEta.js';

/** An estimator on a clock the test moves, in seconds. */
function setup() {
  let t = 0;
  const eta = new JobEta(() => t * 1000);
  return { eta, at: (seconds: number) => (t = seconds) };
}

describe('job ETA', () => {
  it("starts from the baseline's pace and is corrected by each measured epoch", () => {
    const { eta, at } = setup();
    eta.start({ epochs: 4, n_train: 20, n_val: 5, n_replay: 20, n_anchor: 15 });
    at(0);
    expect(eta.phase('baseline')).toBeNull();
    // The baseline scored 20 images in 10 s: an epoch of 40 training images (2.2 times a scored one each) and 5 validation ones, 46.5 s.
    at(10);
    expect(eta.phase('training')).toBe(Math.round(4 * 46.5 + 10));
    // The first epoch took 30 s: 3 more like it, and the scoring (as long as the baseline).
    at(40);
    expect(eta.epoch(1, 4)).toBe(3 * 30 + 10);
    // Later epochs are faster (the first paid for warm-up): the estimate follows them, not the mean with the first.
    at(60);
    expect(eta.epoch(2, 4)).toBe(2 * 20 + 10);
    at(76);
    expect(eta.epoch(3, 4)).toBe(1 * 18 + 10);
    at(92);
    expect(eta.epoch(4, 4)).toBe(10);
    expect(eta.phase('scoring')).toBe(10);
    expect(eta.phase('exporting')).toBeNull();
  });

  it('counts the cases an epoch draws, not every training case (a job of 79 draws 48 an epoch)', () => {
    const { eta, at } = setup();
    eta.start({ epochs: 10, n_train: 79, n_val: 21, n_per_epoch: 48, n_replay: 48, n_anchor: 50 });
    at(0);
    eta.phase('baseline');
    // 71 images scored in 1.42 s (20 ms each): an epoch is 0.02 x (2.2 x 96 + 21) = 4.644 s.
    at(1.42);
    expect(eta.phase('training')).toBe(Math.round(10 * 4.644 + 1.42));
  });

  it('averages the last three measured epochs, so one slow epoch moves it a little', () => {
    const { eta, at } = setup();
    eta.start({ epochs: 10, n_train: 8, n_val: 4 });
    at(0);
    eta.phase('baseline');
    at(2);
    eta.phase('training');
    const ends = [12, 22, 32, 42, 72];
    let left: number | null = null;
    ends.forEach((end, i) => {
      at(end);
      left = eta.epoch(i + 1, 10);
    });
    // Epochs of 10, 10, 10, 10 and 30 s: the last three (10, 10, 30) average 16.7 s, for 5 epochs, plus 2 s of scoring.
    expect(left).toBe(Math.round(5 * (50 / 3) + 2));
  });

  it('says nothing it cannot know: no baseline, no measured epoch', () => {
    const { eta, at } = setup();
    at(5);
    expect(eta.phase('training')).toBeNull();
    at(9);
    expect(eta.epoch(1, 3)).toBe(2 * 4);
    expect(new JobEta(() => 0).epoch(1, 3)).toBeNull();
  });
});
