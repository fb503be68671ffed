"""Query pairs for judging a semantic cache: paraphrases it should serve, near-misses it must not.

Data shared by ``bench_cache_semantic.py`` and ``tests/cache``. Written by hand: the
paraphrases reword the whole question; each near-miss keeps the sentence and changes one thing
that changes the answer (a city, a number, a product, an action, a negation, a person). Some
are lower-case on purpose, as users type them. Run it to print the counts.
"""

from __future__ import annotations

PARAPHRASES: list[tuple[str, str]] = [
    ("What is the capital of France?", "Which city is France's capital?"),
    ("How tall is the Eiffel Tower?", "What is the height of the Eiffel Tower?"),
    ("Who wrote Pride and Prejudice?", "Who is the author of Pride and Prejudice?"),
    ("How many legs does a spider have?", "How many legs do spiders have?"),
    (
        "What is the boiling point of water at sea level?",
        "At sea level, what temperature does water boil at?",
    ),
    ("Explain how photosynthesis works.", "Can you explain the process of photosynthesis?"),
    ("What are the health benefits of green tea?", "What health benefits does green tea have?"),
    (
        "How do you make a cup of coffee with a French press?",
        "How to brew coffee using a French press?",
    ),
    (
        "What is the difference between a virus and a bacterium?",
        "How does a virus differ from a bacterium?",
    ),
    ("When did World War II end?", "What year did the Second World War end?"),
    ("How can I improve my sleep quality?", "What are ways to sleep better?"),
    ("What does a CPU do in a computer?", "What is the function of a computer's CPU?"),
    ('Translate "good morning" into Spanish.', 'How do you say "good morning" in Spanish?'),
    ("What causes the seasons on Earth?", "Why does Earth have seasons?"),
    (
        "How long should I boil an egg for a soft yolk?",
        "How many minutes should an egg boil so the yolk stays soft?",
    ),
    ("What is the population of Tokyo?", "How many people live in Tokyo?"),
    (
        "Recommend a good book about the history of Rome.",
        "Can you suggest a good book on Roman history?",
    ),
    (
        "How do I convert Celsius to Fahrenheit?",
        "What's the formula to convert Celsius into Fahrenheit?",
    ),
    ("What is machine learning?", "Can you tell me what machine learning is?"),
    ("Summarize the plot of Hamlet.", "Give me a summary of the plot of Hamlet."),
    ("How do I cancel my subscription?", "What is the way to cancel my subscription?"),
    ("Is it safe to eat raw cookie dough?", "Can eating raw cookie dough be unsafe?"),
    ("What is the speed of light?", "How fast does light travel?"),
    ("Where is the Great Barrier Reef located?", "In which country is the Great Barrier Reef?"),
    ("How do I install Python on Windows?", "What are the steps to install Python on Windows?"),
    (
        "What's a good way to learn guitar as a beginner?",
        "How should a beginner start learning the guitar?",
    ),
    ("Why is the sky blue?", "What makes the sky appear blue?"),
    (
        "What is the return policy for online orders?",
        "How does the return policy work for orders placed online?",
    ),
    ("How do I track the status of an order?", "Where can I check the status of an order?"),
    ("What are the symptoms of the flu?", "Which symptoms does the flu cause?"),
    (
        "How much water should an adult drink per day?",
        "What is the recommended daily water intake for an adult?",
    ),
    ("Explain the rules of chess for beginners.", "Can you explain chess rules to a beginner?"),
    ("What is the largest ocean on Earth?", "Which ocean is the biggest on Earth?"),
    ("How do vaccines work?", "What is the mechanism by which vaccines work?"),
    ("Who painted the Mona Lisa?", "Which artist painted the Mona Lisa?"),
    ('What is the meaning of the word "ephemeral"?', 'What does "ephemeral" mean?'),
    (
        "How do I change the battery in a smoke detector?",
        "How to replace a smoke detector's battery?",
    ),
    ("What are some tips for a job interview?", "Can you give me some job interview tips?"),
    ("How does compound interest work?", "Explain how compound interest works."),
    ("What time zone is New York in?", "Which time zone does New York use?"),
    ("what is the capital of australia", "What is the capital city of Australia?"),
    ("how do i reset a router", "How do I reset my router?"),
]

NEAR_MISSES: list[tuple[str, str]] = [
    # a different city or place
    ("What is the weather like in Paris?", "What is the weather like in London?"),
    ("What is the capital of France?", "What is the capital of Germany?"),
    ("How many people live in Kyoto?", "How many people live in Osaka?"),
    ("Book a flight from Boston to Chicago.", "Book a flight from Boston to Denver."),
    ("Book a flight from Boston to Chicago.", "Book a flight from Chicago to Boston."),
    ("What are the best restaurants in Rome?", "What are the best restaurants in Milan?"),
    ("what time zone is chicago in", "what time zone is los angeles in"),
    ("Where is the Louvre museum?", "Where is the Prado museum?"),
    ("is it going to rain in seattle", "is it going to rain in portland"),
    # a different number
    ("What is 15% of 200?", "What is 15% of 300?"),
    ("Convert 100 dollars to euros.", "Convert 500 dollars to euros."),
    ("What happened in 1969?", "What happened in 1989?"),
    ("How many calories are in 2 eggs?", "How many calories are in 3 eggs?"),
    ("Show me orders from the last 7 days.", "Show me orders from the last 30 days."),
    ("Set a timer for 10 minutes.", "Set a timer for 15 minutes."),
    ("What is the square root of 144?", "What is the square root of 169?"),
    (
        "Is a 4-bedroom house too big for two people?",
        "Is a 2-bedroom house too big for two people?",
    ),
    ("Give me three reasons to learn Spanish.", "Give me five reasons to learn Spanish."),
    ("summarize the first chapter of moby dick", "summarize the last chapter of moby dick"),
    ("Explain the causes of World War I.", "Explain the causes of World War II."),
    # a different product or plan
    ("How long does the iPhone 14 battery last?", "How long does the iPhone 15 battery last?"),
    ("Compare the Galaxy S23 with the Pixel 8.", "Compare the Galaxy S24 with the Pixel 8."),
    ("What is the price of the MacBook Air?", "What is the price of the MacBook Pro?"),
    (
        "How do I update the firmware on a PlayStation 5?",
        "How do I update the firmware on an Xbox Series X?",
    ),
    ("Is the Tesla Model 3 good for long trips?", "Is the Tesla Model Y good for long trips?"),
    (
        "What's the difference between GPT-4 and GPT-3.5?",
        "What's the difference between GPT-4 and Claude?",
    ),
    ("how do i pair airpods with a laptop", "how do i pair a kindle with a laptop"),
    ("Does the basic plan include cloud backup?", "Does the premium plan include cloud backup?"),
    # a different action
    ("How do I cancel my subscription?", "How do I renew my subscription?"),
    ("How do I delete my account?", "How do I create an account?"),
    ("How can I upgrade my plan?", "How can I downgrade my plan?"),
    ("Buy 10 shares of Apple stock.", "Sell 10 shares of Apple stock."),
    ("How do I enable two-factor authentication?", "How do I disable two-factor authentication?"),
    ("Add milk to my shopping list.", "Remove milk from my shopping list."),
    ("How do I lock the front door remotely?", "How do I unlock the front door remotely?"),
    ("Turn on the living room lights.", "Turn off the living room lights."),
    ("how do i reset my password", "how do i change my password"),
    # a negation
    ("Which foods are safe for dogs to eat?", "Which foods are not safe for dogs to eat?"),
    ("Can I take ibuprofen with food?", "Can I take ibuprofen without food?"),
    ("Why does my code compile?", "Why doesn't my code compile?"),
    # a different person, language or unit
    ("Who is the CEO of Microsoft?", "Who is the CEO of Google?"),
    ("What did Einstein discover?", "What did Newton discover?"),
    ('Translate "good morning" into Spanish.', 'Translate "good morning" into Italian.'),
    (
        "What is the boiling point of water in Celsius?",
        "What is the boiling point of water in Fahrenheit?",
    ),
]


def main() -> None:
    print(f"{len(PARAPHRASES)} paraphrase pairs, {len(NEAR_MISSES)} near-miss pairs")


if __name__ == "__main__":
    main()
