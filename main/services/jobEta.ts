/**
 * The time a running fine-tuning job has left, from what the runner measures itself as the
 * trainer's lines arrive: how long the baseline took and how long each epoch took.
 *
 * Before the first epoch ends, the estimate comes from the baseline: it scored the validation
 * and anchor images once, forward only; an epoch trains on the training and replay images
 * (the cases it draws and its replay pairs; training costs about 2.2 times scoring, as measured)
 * and scores the validation images.
 * After each epoch it is corrected from the measured epochs: the mean of the last three, leaving
 * out the first once there are others (it pays for warm-up that later epochs do not). Scoring the
 * candidate repeats the baseline's work, so its measured duration stands for that phase.
 * Exporting is not counted (a few seconds, and nothing measures it beforehand).
 *
 * Plain Node, no timers: the clock is passed in, so tests drive it.
 */

/** The trainer's "start" line: what one epoch and the scoring work on. */
export interface EtaStart {
  epochs: number;
  n_train: number;
  n_val: number;
  /** Training cases an epoch draws (the recipe's epoch_pairs); absent: all of them, once. */
  n_per_epoch?: number;
  n_replay?: number;
  n_anchor?: number;
}

/**
 * Training an image costs about this many times scoring one (forward, backward, optimiser step,
 * augmentation). Measured by `npm run bench:finetune` (8 December): 34 ms per trained image
 * against 16 ms per scored one; the textbook 3 overestimated the job by 1.6x.
 */
const trainingCostPerScoredImage = 2.2;
/** The measured epochs the estimate averages (the most recent ones). */
const recentEpochs = 3;

export class JobEta {
  private work: EtaStart | null = null;
  private baselineStarted: number | null = null;
  private baselineSeconds: number | null = null;
  private lastMark: number | null = null;
  private readonly epochSeconds: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** The trainer said what it will do. */
  start(line: EtaStart): void {
    this.work = line;
  }

  /** A phase began; returns the seconds left as now known (null: not known yet). */
  phase(phase: string): number | null {
    const t = this.now() / 1000;
    if (phase === 'baseline') this.baselineStarted = t;
    if (phase === 'training') {
      if (this.baselineStarted !== null) this.baselineSeconds = t - this.baselineStarted;
      this.lastMark = t;
      return this.left(this.work?.epochs ?? null);
    }
    // Scoring the candidate is the baseline's work again; what exporting takes is not known.
    if (phase === 'scoring' && this.baselineSeconds !== null) return Math.round(this.baselineSeconds);
    return null;
  }

  /** Epoch `epoch` of `epochs` ended; returns the seconds left, corrected by its measured duration. */
  epoch(epoch: number, epochs: number): number | null {
    const t = this.now() / 1000;
    if (this.lastMark !== null) this.epochSeconds.push(Math.max(0, t - this.lastMark));
    this.lastMark = t;
    return this.left(epochs - epoch);
  }

  /** Seconds for one epoch: measured when an epoch has ended, else from the baseline's pace. */
  perEpoch(): number | null {
    const measured = this.epochSeconds.length > 1 ? this.epochSeconds.slice(1) : this.epochSeconds;
    if (measured.length > 0) {
      const recent = measured.slice(-recentEpochs);
      return recent.reduce((a, b) => a + b, 0) / recent.length;
    }
    const work = this.work;
    const scored = work ? work.n_val + (work.n_anchor ?? 0) : 0;
    if (!work || this.baselineSeconds === null || scored === 0) return null;
    const perImage = this.baselineSeconds / scored;
    return perImage * (trainingCostPerScoredImage * ((work.n_per_epoch ?? work.n_train) + (work.n_replay ?? 0)) + work.n_val);
  }

  private left(epochsLeft: number | null): number | null {
    const perEpoch = this.perEpoch();
    if (epochsLeft === null || perEpoch === null) return null;
    return Math.round(Math.max(0, epochsLeft) * perEpoch + (this.baselineSeconds ?? 0));
  }
}
