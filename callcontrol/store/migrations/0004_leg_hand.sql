-- A raised hand (keypad *9, the dialplan's CC_HAND), kept with the leg so the app and the
-- dashboard both see it.
ALTER TABLE legs ADD COLUMN hand_raised boolean NOT NULL DEFAULT false;
